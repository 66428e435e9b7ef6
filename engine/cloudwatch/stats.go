package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Statistics CloudWatch names.
var statistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

// ParsePercentile reads an extended statistic: pNN or pNN.NN (0 < NN ≤ 100).
func ParsePercentile(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimPrefix(s, "p"), 64)
	if !strings.HasPrefix(s, "p") || err != nil || v <= 0 || v > 100 {
		return 0, &Error{Code: "InvalidParameterValue", Message: fmt.Sprintf("The value %s for parameter ExtendedStatistics is not supported: give pNN.NN, e.g. p99.", s)}
	}
	return v, nil
}

// bucket gathers one period's samples: each value, and how many samples it stands for (a rollup's seconds, a
// StatisticSet's count).
type bucket struct {
	start    time.Time
	values   []float64 // per-sample values, for percentiles; nil when only aggregates are known
	exact    bool      // values holds every sample
	count    float64
	sum      float64
	min, max float64
}

func (b *bucket) add(v float64) {
	if b.count == 0 {
		b.min, b.max = v, v
	}
	b.count++
	b.sum += v
	b.min, b.max = math.Min(b.min, v), math.Max(b.max, v)
	b.values = append(b.values, v)
}

// addSet adds count samples known only by their sum, minimum and maximum.
func (b *bucket) addSet(count, sum, lo, hi float64) {
	if count <= 0 {
		return
	}
	if b.count == 0 {
		b.min, b.max = lo, hi
	}
	b.count += count
	b.sum += sum
	b.min, b.max = math.Min(b.min, lo), math.Max(b.max, hi)
	b.exact = false
}

// datapoint is the bucket's statistics; percentiles only when every sample is known.
func (b *bucket) datapoint(unit string, percentiles []string) Datapoint {
	d := Datapoint{Timestamp: b.start, SampleCount: b.count, Sum: b.sum, Minimum: b.min, Maximum: b.max, Unit: unit}
	if b.count > 0 {
		d.Average = b.sum / b.count
	}
	if len(percentiles) > 0 && b.exact && len(b.values) > 0 {
		sorted := append([]float64(nil), b.values...)
		sort.Float64s(sorted)
		d.Extended = map[string]float64{}
		for _, p := range percentiles {
			q, err := ParsePercentile(p)
			if err != nil {
				continue
			}
			d.Extended[p] = percentile(sorted, q)
		}
	}
	return d
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// stat reads one statistic (a name or a percentile) off a datapoint.
func stat(d Datapoint, name string) (float64, bool) {
	switch name {
	case "SampleCount":
		return d.SampleCount, true
	case "Average":
		return d.Average, true
	case "Sum":
		return d.Sum, true
	case "Minimum":
		return d.Minimum, true
	case "Maximum":
		return d.Maximum, true
	}
	v, ok := d.Extended[name]
	return v, ok
}

// Error is a CloudWatch error: its code (InvalidParameterValue, InvalidParameterCombination, MissingParameter,
// ResourceNotFound, LimitExceeded) and message.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, a ...any) error {
	return &Error{Code: "InvalidParameterValue", Message: fmt.Sprintf(format, a...)}
}

// checkPeriod is CloudWatch's rule for a period: 1, 5, 10, 30 or a multiple of 60 seconds.
func checkPeriod(period int) error {
	switch {
	case period <= 0:
		return invalid("The parameter Period must be greater than 0.")
	case period < 60 && period != 1 && period != 5 && period != 10 && period != 30:
		return invalid("The parameter Period must be 1, 5, 10, 30, or a multiple of 60.")
	case period >= 60 && period%60 != 0:
		return invalid("The parameter Period must be 1, 5, 10, 30, or a multiple of 60.")
	}
	return nil
}
