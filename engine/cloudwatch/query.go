package cloudwatch

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// maxDatapoints is GetMetricStatistics's limit on datapoints a call may ask for.
const maxDatapoints = 1440

// StatisticsInput is GetMetricStatistics's question.
type StatisticsInput struct {
	Metric
	StartTime, EndTime time.Time
	Period             int // seconds
	Statistics         []string
	Extended           []string // percentiles: p50, p99.9…
	Unit               string
}

// Statistics answers GetMetricStatistics: one datapoint per period that has samples.
func (s *Service) Statistics(ctx context.Context, in StatisticsInput) ([]Datapoint, error) {
	return s.statistics(ctx, in, maxDatapoints)
}

// statistics answers with at most limit periods asked for (GetMetricStatistics allows 1,440, GetMetricData's
// MetricStats as many as its MaxDatapoints).
func (s *Service) statistics(ctx context.Context, in StatisticsInput, limit int) ([]Datapoint, error) {
	if err := checkStatisticsInput(in, limit); err != nil {
		return nil, err
	}
	buckets, unit := s.buckets(ctx, in.Metric, in.StartTime, in.EndTime, time.Duration(in.Period)*time.Second)
	if in.Unit != "" && unit != "" && in.Unit != unit {
		return nil, nil // CloudWatch answers a unit the metric was not stored in with no datapoints
	}
	out := make([]Datapoint, 0, len(buckets))
	for _, b := range buckets {
		if b.count > 0 {
			out = append(out, b.datapoint(unit, in.Extended))
		}
	}
	return out, nil
}

func checkStatisticsInput(in StatisticsInput, limit int) error {
	switch {
	case in.Namespace == "":
		return &Error{Code: "MissingParameter", Message: "The parameter Namespace is required."}
	case in.MetricName == "":
		return &Error{Code: "MissingParameter", Message: "The parameter MetricName is required."}
	case in.StartTime.IsZero() || in.EndTime.IsZero():
		return &Error{Code: "MissingParameter", Message: "The parameters StartTime and EndTime are required."}
	case !in.EndTime.After(in.StartTime):
		return invalid("The parameter StartTime must be less than the parameter EndTime.")
	case len(in.Statistics) == 0 && len(in.Extended) == 0:
		return &Error{Code: "MissingParameter", Message: "Either the parameter Statistics or ExtendedStatistics is required."}
	case len(in.Statistics)+len(in.Extended) > 10:
		return invalid("The parameters Statistics and ExtendedStatistics must not have more than 10 values together.")
	}
	for _, st := range in.Statistics {
		if !slices.Contains(statistics, st) {
			return invalid("The value %s for parameter Statistics is not a valid statistic (SampleCount, Average, Sum, Minimum, Maximum).", st)
		}
	}
	for _, p := range in.Extended {
		if _, err := ParsePercentile(p); err != nil {
			return err
		}
	}
	if err := checkPeriod(in.Period); err != nil {
		return err
	}
	if n := int(in.EndTime.Sub(in.StartTime) / (time.Duration(in.Period) * time.Second)); n > limit {
		return &Error{Code: "InvalidParameterCombination", Message: "You have requested up to " + itoa(n) +
			" datapoints, which exceeds the limit of " + thousands(limit) + ". You may reduce the datapoints requested by increasing Period, or decreasing the time range."}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// buckets gathers a metric's samples in [from, to) into periods, oldest first.
func (s *Service) buckets(ctx context.Context, m Metric, from, to time.Time, period time.Duration) ([]*bucket, string) {
	from = from.Truncate(period) // CloudWatch aligns a period's timestamp to the period (a minute starts at :00)
	n := int((to.Sub(from) + period - 1) / period)
	out := make([]*bucket, n)
	for i := range out {
		out[i] = &bucket{start: from.Add(time.Duration(i) * period), exact: true}
	}
	at := func(t time.Time) *bucket {
		i := int(t.Sub(from) / period)
		if i < 0 || i >= n {
			return nil
		}
		return out[i]
	}
	if m.Namespace != NamespaceKinesis {
		unit, _ := s.customBuckets(m, from, to, period, func(start time.Time, p point) {
			if b := at(start); b != nil {
				if p.Count == 1 && p.Min == p.Max {
					b.add(p.Sum)
				} else {
					b.addSet(p.Count, p.Sum, p.Min, p.Max)
				}
			}
		})
		return out, unit
	}
	return out, s.kinesisBuckets(ctx, m, from, to, at)
}

// kinesisBuckets fills buckets from the engine's metrics: seconds of the last hour one by one, older minutes from
// their rollups.
func (s *Service) kinesisBuckets(ctx context.Context, m Metric, from, to time.Time, at func(time.Time) *bucket) string {
	stream, shardID := m.dim("StreamName"), m.dim("ShardId")
	if stream == "" || len(m.Dimensions) != map[bool]int{true: 1, false: 2}[shardID == ""] {
		return ""
	}
	spec, ok := streamMetrics[m.MetricName]
	ref := engine.StreamRef{StreamName: stream}
	if shardID != "" {
		spec, ok = shardMetrics[m.MetricName]
		sum, err := s.eng.DescribeStreamSummary(ctx, ref)
		if err != nil || !enhanced(*sum, m.MetricName) {
			return "" // shard-level metrics are published only while enhanced monitoring is on for them
		}
	}
	if !ok {
		return ""
	}
	now := s.now()
	hourAgo := now.Add(-time.Hour + time.Second).Truncate(time.Second)
	secFrom := from
	if secFrom.Before(hourAgo) {
		secFrom = hourAgo
	}
	if to.After(secFrom) {
		s.kinesisSeconds(ctx, ref, shardID, spec, secFrom, to, at)
	}
	if from.Before(hourAgo) {
		oldTo := hourAgo
		if to.Before(oldTo) {
			oldTo = to
		}
		s.kinesisMinutes(ctx, ref, shardID, spec, from, oldTo, at)
	}
	return spec.unit
}

func (s *Service) kinesisSeconds(ctx context.Context, ref engine.StreamRef, shardID string, spec streamMetric, from, to time.Time, at func(time.Time) *bucket) {
	n := int(to.Sub(from) / time.Second)
	values := make([]float64, n)
	active := make([]bool, n)
	collect := func(metric engine.Metric, each func(i int, v uint32)) {
		_ = s.eng.ShardSeconds(ctx, ref, metric, from, from.Add(time.Duration(n)*time.Second), func(id string, _ bool, vs []uint32) {
			if shardID != "" && id != shardID {
				return
			}
			for i, v := range vs {
				each(i, v)
			}
		})
	}
	collect(spec.engine, func(i int, v uint32) {
		if spec.max {
			values[i] = max(values[i], float64(v))
		} else {
			values[i] += float64(v)
		}
		active[i] = active[i] || v > 0
	})
	if spec.activity != spec.engine {
		collect(spec.activity, func(i int, v uint32) { active[i] = active[i] || v > 0 })
	}
	for i := range values {
		if active[i] {
			if b := at(from.Add(time.Duration(i) * time.Second)); b != nil {
				b.add(values[i])
			}
		}
	}
}

func (s *Service) kinesisMinutes(ctx context.Context, ref engine.StreamRef, shardID string, spec streamMetric, from, to time.Time, at func(time.Time) *bucket) {
	ids := []string{shardID}
	if shardID == "" {
		ids = s.shardIDs(ctx, ref.StreamName)
	}
	for _, id := range ids {
		mins, err := s.eng.ShardMinutes(ctx, ref, id, spec.engine, from, to)
		if err != nil {
			continue
		}
		for _, mn := range mins {
			if b := at(mn.Minute); b != nil && mn.Samples > 0 {
				b.addSet(float64(mn.Samples), float64(mn.Sum), float64(mn.Min), float64(mn.Max))
			}
		}
	}
}
