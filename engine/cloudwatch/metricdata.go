package cloudwatch

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MetricStat is a GetMetricData query's metric, period and statistic.
type MetricStat struct {
	Metric Metric
	Period int
	Stat   string
	Unit   string
}

// Query is one GetMetricData query: a MetricStat or an Expression.
type Query struct {
	ID         string
	MetricStat *MetricStat
	Expression string
	Label      string
	ReturnData *bool // nil: true
	Period     int   // an expression's period (its MetricStats' otherwise)
}

// DataInput is GetMetricData's question.
type DataInput struct {
	Queries            []Query
	StartTime, EndTime time.Time
	ScanBy             string // TimestampDescending (default) or TimestampAscending
	MaxDatapoints      int    // default 100,800
	NextToken          string
}

// Result is one query's answer.
type Result struct {
	ID         string
	Label      string
	Timestamps []time.Time
	Values     []float64
	StatusCode string // Complete, or PartialData when a page ends inside it
}

// DataOutput is GetMetricData's answer.
type DataOutput struct {
	Results   []Result
	NextToken string
}

// GetMetricData limits, as CloudWatch documents them.
const (
	maxQueries           = 500
	defaultMaxDatapoints = 100800
)

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// GetMetricData answers MetricStat queries and metric math over them, in pages of MaxDatapoints values.
func (s *Service) GetMetricData(ctx context.Context, in DataInput) (DataOutput, error) {
	if err := checkDataInput(&in); err != nil {
		return DataOutput{}, err
	}
	env := &mathEnv{queries: map[string]*series{}}
	var results []Result
	for _, q := range in.Queries { // the MetricStats first: expressions may name any of them
		if q.MetricStat == nil {
			continue
		}
		st := q.MetricStat
		ds, err := s.statistics(ctx, StatisticsInput{Metric: st.Metric, StartTime: in.StartTime, EndTime: in.EndTime,
			Period: st.Period, Statistics: statList(st.Stat), Extended: percentileList(st.Stat), Unit: st.Unit}, defaultMaxDatapoints)
		if err != nil {
			return DataOutput{}, fmt.Errorf("query %s: %w", q.ID, err)
		}
		sr := &series{id: q.ID, label: labelOf(q)}
		for _, d := range ds {
			if v, ok := stat(d, st.Stat); ok {
				sr.times = append(sr.times, d.Timestamp.UTC())
				sr.values = append(sr.values, v)
			}
		}
		env.queries[q.ID] = sr
		env.stats = append(env.stats, sr)
	}
	for _, q := range in.Queries {
		if q.Expression == "" {
			continue
		}
		v, err := evalExpression(q.Expression, env)
		if err != nil {
			return DataOutput{}, err
		}
		sr := &series{id: q.ID, label: labelOf(q)}
		switch {
		case v.series != nil:
			sr.times, sr.values = v.series.times, v.series.values
		case v.scalar != nil: // a single value stands at every timestamp of the range's periods
			period := time.Duration(max(q.Period, 60)) * time.Second
			for t := in.StartTime.Truncate(time.Second); t.Before(in.EndTime); t = t.Add(period) {
				sr.times, sr.values = append(sr.times, t.UTC()), append(sr.values, *v.scalar)
			}
		default:
			return DataOutput{}, invalid("The expression of query %s gives an array of time series; aggregate it (SUM(METRICS())) to return it.", q.ID)
		}
		env.queries[q.ID] = sr
	}
	for _, q := range in.Queries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		sr := env.queries[q.ID]
		r := Result{ID: q.ID, Label: sr.label, StatusCode: "Complete"}
		r.Timestamps, r.Values = append([]time.Time(nil), sr.times...), append([]float64(nil), sr.values...)
		if in.ScanBy != "TimestampAscending" {
			for i, j := 0, len(r.Values)-1; i < j; i, j = i+1, j-1 {
				r.Timestamps[i], r.Timestamps[j] = r.Timestamps[j], r.Timestamps[i]
				r.Values[i], r.Values[j] = r.Values[j], r.Values[i]
			}
		}
		results = append(results, r)
	}
	return page(results, in.MaxDatapoints, in.NextToken)
}

func statList(stat string) []string {
	if strings.HasPrefix(stat, "p") {
		return nil
	}
	return []string{stat}
}

func percentileList(stat string) []string {
	if strings.HasPrefix(stat, "p") {
		return []string{stat}
	}
	return nil
}

func labelOf(q Query) string {
	if q.Label != "" {
		return q.Label
	}
	if q.MetricStat != nil {
		return q.MetricStat.Metric.MetricName
	}
	return q.ID
}

func checkDataInput(in *DataInput) error {
	switch {
	case len(in.Queries) == 0:
		return &Error{Code: "MissingParameter", Message: "The parameter MetricDataQueries is required."}
	case len(in.Queries) > maxQueries:
		return invalid("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	case !in.EndTime.After(in.StartTime):
		return invalid("The parameter StartTime must be less than the parameter EndTime.")
	case in.ScanBy != "" && in.ScanBy != "TimestampDescending" && in.ScanBy != "TimestampAscending":
		return invalid("The value %s for parameter ScanBy is not TimestampDescending or TimestampAscending.", in.ScanBy)
	}
	if in.MaxDatapoints == 0 {
		in.MaxDatapoints = defaultMaxDatapoints
	}
	seen := map[string]bool{}
	returned := 0
	for i, q := range in.Queries {
		where := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		switch {
		case !queryID.MatchString(q.ID):
			return invalid("The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and hold only letters, digits and _.", q.ID, where)
		case seen[q.ID]:
			return invalid("The value %s for parameter %s.Id is not unique.", q.ID, where)
		case (q.MetricStat == nil) == (q.Expression == ""):
			return &Error{Code: "InvalidParameterCombination", Message: "Exactly one of " + where + ".MetricStat and " + where + ".Expression must be given."}
		}
		seen[q.ID] = true
		if q.MetricStat != nil {
			if err := checkPeriod(q.MetricStat.Period); err != nil {
				return err
			}
			if q.MetricStat.Stat == "" {
				return &Error{Code: "MissingParameter", Message: "The parameter " + where + ".MetricStat.Stat is required."}
			}
			if !slices.Contains(statistics, q.MetricStat.Stat) {
				if _, err := ParsePercentile(q.MetricStat.Stat); err != nil {
					return invalid("The value %s for parameter %s.MetricStat.Stat is not a statistic.", q.MetricStat.Stat, where)
				}
			}
		}
		if q.ReturnData == nil || *q.ReturnData {
			returned++
		}
	}
	if returned == 0 {
		return invalid("At least one query of MetricDataQueries must have ReturnData true.")
	}
	return nil
}

// page cuts the results to max values from the offset the token holds; the token of the next page is the offset
// it starts at.
func page(results []Result, max int, token string) (DataOutput, error) {
	skip := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "offset-"))
		if err != nil || !strings.HasPrefix(token, "offset-") || n < 0 {
			return DataOutput{}, invalid("The value for parameter NextToken is invalid.")
		}
		skip = n
	}
	out := DataOutput{}
	taken, offset := 0, 0
	for _, r := range results {
		n := len(r.Values)
		from := min(max0(skip-offset), n)
		room := max - taken
		to := min(n, from+room)
		if offset+n > skip && room >= 0 {
			part := r
			part.Timestamps, part.Values = r.Timestamps[from:to], r.Values[from:to]
			if to < n {
				part.StatusCode = "PartialData"
			}
			out.Results = append(out.Results, part)
			taken += to - from
		}
		offset += n
		if taken >= max && offset > skip+taken {
			out.NextToken = "offset-" + strconv.Itoa(skip+taken)
			break
		}
	}
	return out, nil
}

func max0(v int) int {
	if v < 0 {
		return 0
	}
	return v
}
