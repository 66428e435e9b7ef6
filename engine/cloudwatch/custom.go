package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Datum is one PutMetricData entry: a value, a list of values with counts, or a statistic set.
type Datum struct {
	MetricName string
	Dimensions []Dimension
	Timestamp  time.Time // zero: now
	Value      *float64
	Values     []float64
	Counts     []float64
	// StatisticValues is a pre-aggregated set (SampleCount, Sum, Minimum, Maximum).
	StatisticValues *StatisticSet
	Unit            string
}

// StatisticSet is PutMetricData's StatisticValues.
type StatisticSet struct{ SampleCount, Sum, Minimum, Maximum float64 }

// point is one stored sample (or set) of a custom metric.
type point struct {
	T     int64   `json:"t"` // Unix milliseconds
	Count float64 `json:"n"`
	Sum   float64 `json:"s"`
	Min   float64 `json:"lo"`
	Max   float64 `json:"hi"`
}

// customSeries is a custom metric's points, oldest first.
type customSeries struct {
	Metric Metric  `json:"metric"`
	Unit   string  `json:"unit,omitempty"`
	Points []point `json:"points"`
}

// PutMetricData limits, as CloudWatch documents them.
const (
	maxDatumsPerCall   = 1000
	maxDimensions      = 30
	maxValuesPerDatum  = 150
	pointsKept         = 20000 // per metric; older ones go first
	customDataLifetime = 15 * 24 * time.Hour
	pastLimit          = 14 * 24 * time.Hour
	futureLimit        = 2 * time.Hour
)

func customNamespace(account string) string { return "cloudwatch-metrics@" + account }

func (s *Service) loadCustom(ctx context.Context) error {
	cur, err := s.eng.Checkpoints(ctx, customNamespace(s.account))
	if err != nil {
		return err
	}
	s.custom = map[string]*customSeries{}
	for _, v := range cur {
		var c customSeries
		if json.Unmarshal(v, &c) == nil {
			c.Metric.Dimensions = sortedDims(c.Metric.Dimensions)
			s.custom[c.Metric.key()] = &c
		}
	}
	return nil
}

// PutMetricData stores datums of namespace (AWS/ namespaces are the services' own and refused, as CloudWatch
// does), committed before it returns.
func (s *Service) PutMetricData(ctx context.Context, namespace string, data []Datum) error {
	switch {
	case namespace == "":
		return &Error{Code: "MissingParameter", Message: "The parameter Namespace is required."}
	case strings.HasPrefix(namespace, "AWS/"):
		return invalid("The value AWS/ for parameter Namespace is invalid.")
	case len(data) == 0:
		return &Error{Code: "MissingParameter", Message: "The parameter MetricData is required."}
	case len(data) > maxDatumsPerCall:
		return invalid("The collection MetricData must not have a size greater than %d.", maxDatumsPerCall)
	}
	now := s.now()
	byKey := map[string][]point{}
	metrics := map[string]Metric{}
	units := map[string]string{}
	for i, d := range data {
		where := fmt.Sprintf("MetricData.member.%d", i+1)
		if d.MetricName == "" {
			return &Error{Code: "MissingParameter", Message: "The parameter " + where + ".MetricName is required."}
		}
		if len(d.Dimensions) > maxDimensions {
			return invalid("The collection %s.Dimensions must not have a size greater than %d.", where, maxDimensions)
		}
		for j, dim := range d.Dimensions {
			if dim.Name == "" || dim.Value == "" {
				return invalid("The parameter %s.Dimensions.member.%d must have a Name and a Value.", where, j+1)
			}
		}
		t := d.Timestamp
		if t.IsZero() {
			t = now
		}
		if t.Before(now.Add(-pastLimit)) || t.After(now.Add(futureLimit)) {
			return invalid("The parameter %s.Timestamp must specify a time no more than two weeks in the past or two hours in the future.", where)
		}
		pts, err := datumPoints(d, t.UnixMilli(), where)
		if err != nil {
			return err
		}
		m := Metric{Namespace: namespace, MetricName: d.MetricName, Dimensions: sortedDims(d.Dimensions)}
		k := m.key()
		metrics[k], units[k] = m, d.Unit
		byKey[k] = append(byKey[k], pts...)
	}
	changed := map[string]*customSeries{}
	err := s.eng.UpdateCheckpoints(ctx, customNamespace(s.account), func(cur map[string][]byte) (map[string][]byte, error) {
		writes := map[string][]byte{}
		for k, pts := range byKey {
			var c customSeries
			if b, ok := cur[k]; ok {
				_ = json.Unmarshal(b, &c)
			}
			c.Metric, c.Unit = metrics[k], units[k]
			c.Points = append(c.Points, pts...)
			sort.SliceStable(c.Points, func(i, j int) bool { return c.Points[i].T < c.Points[j].T })
			cut := now.Add(-customDataLifetime).UnixMilli()
			for len(c.Points) > 0 && (c.Points[0].T < cut || len(c.Points) > pointsKept) {
				c.Points = c.Points[1:]
			}
			b, err := json.Marshal(&c)
			if err != nil {
				return nil, err
			}
			writes[k] = b
			cc := c
			changed[k] = &cc
		}
		return writes, nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	for k, c := range changed {
		s.custom[k] = c
	}
	s.mu.Unlock()
	return nil
}

func datumPoints(d Datum, t int64, where string) ([]point, error) {
	finite := func(v float64, what string) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return invalid("The value %v for parameter %s.%s is invalid: it must be a finite number.", v, where, what)
		}
		return nil
	}
	given := 0
	for _, b := range []bool{d.Value != nil, len(d.Values) > 0, d.StatisticValues != nil} {
		if b {
			given++
		}
	}
	if given != 1 {
		return nil, &Error{Code: "InvalidParameterCombination", Message: "The parameters " + where + ".Value, " + where + ".Values and " + where + ".StatisticValues are mutually exclusive and one of them is required."}
	}
	switch {
	case d.Value != nil:
		if err := finite(*d.Value, "Value"); err != nil {
			return nil, err
		}
		return []point{{T: t, Count: 1, Sum: *d.Value, Min: *d.Value, Max: *d.Value}}, nil
	case len(d.Values) > 0:
		if len(d.Values) > maxValuesPerDatum {
			return nil, invalid("The collection %s.Values must not have a size greater than %d.", where, maxValuesPerDatum)
		}
		if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
			return nil, invalid("The parameters %s.Values and %s.Counts must be arrays of the same size.", where, where)
		}
		out := make([]point, 0, len(d.Values))
		for i, v := range d.Values {
			if err := finite(v, "Values"); err != nil {
				return nil, err
			}
			n := 1.0
			if len(d.Counts) > 0 {
				n = d.Counts[i]
			}
			out = append(out, point{T: t, Count: n, Sum: v * n, Min: v, Max: v})
		}
		return out, nil
	}
	st := d.StatisticValues
	for _, v := range []float64{st.SampleCount, st.Sum, st.Minimum, st.Maximum} {
		if err := finite(v, "StatisticValues"); err != nil {
			return nil, err
		}
	}
	if st.SampleCount <= 0 || st.Minimum > st.Maximum {
		return nil, invalid("The parameter %s.StatisticValues must have a SampleCount above 0 and a Minimum not above its Maximum.", where)
	}
	return []point{{T: t, Count: st.SampleCount, Sum: st.Sum, Min: st.Minimum, Max: st.Maximum}}, nil
}

// customBuckets fills period buckets from a custom metric's points.
func (s *Service) customBuckets(m Metric, from, to time.Time, period time.Duration, add func(start time.Time, p point)) (unit string, ok bool) {
	s.mu.Lock()
	c, found := s.custom[m.key()]
	var pts []point
	if found {
		pts = c.Points
		unit = c.Unit
	}
	s.mu.Unlock()
	if !found {
		if c = s.sampledSeries(m.key()); c == nil {
			return "", false
		}
		pts, unit = c.Points, c.Unit
	}
	lo, hi := from.UnixMilli(), to.UnixMilli()
	for _, p := range pts {
		if p.T < lo || p.T >= hi {
			continue
		}
		start := from.Add(time.Duration((p.T-lo)/period.Milliseconds()) * period)
		add(start, p)
	}
	return unit, true
}
