package cloudwatchapi

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// fakeBackend is a small in-memory CloudWatch for the tests: canned statistics, stored alarms, and the last input
// of every action, so a test can see what the handler decoded.
type fakeBackend struct {
	mu     sync.Mutex
	inputs []any
	data   []MetricDatum
	alarms map[string]MetricAlarm
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func (f *fakeBackend) record(in any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
}

func (f *fakeBackend) last() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.inputs) == 0 {
		return nil
	}
	return f.inputs[len(f.inputs)-1]
}

func (f *fakeBackend) ListMetrics(_ context.Context, in *ListMetricsInput) (*ListMetricsOutput, error) {
	f.record(in)
	if in.NextToken == "bad" {
		return nil, InvalidNextToken()
	}
	return &ListMetricsOutput{Metrics: []Metric{
		{Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: []Dimension{{Name: "StreamName", Value: "clickstream"}}},
		{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{{Name: "StreamName", Value: "clickstream"}, {Name: "ShardId", Value: "shardId-000000000001"}}},
	}}, nil
}

func (f *fakeBackend) GetMetricStatistics(_ context.Context, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	f.record(in)
	if in.Period%60 != 0 {
		return nil, InvalidParameterValue("The parameter Period must be a multiple of 60.")
	}
	out := &GetMetricStatisticsOutput{Label: in.MetricName}
	for i := 0; i < 2; i++ {
		d := Datapoint{Timestamp: in.StartTime.Add(time.Duration(i*int(in.Period)) * time.Second), Unit: "Count"}
		for _, s := range in.Statistics {
			v := float64(10 * (i + 1))
			switch s {
			case "Sum":
				d.Sum = &v
			case "Average":
				d.Average = ptr(v / 2)
			case "SampleCount":
				d.SampleCount = ptr(2.0)
			case "Minimum":
				d.Minimum = ptr(0.0) // a zero statistic must still arrive
			case "Maximum":
				d.Maximum = ptr(v - 1)
			}
		}
		for _, p := range in.ExtendedStatistics {
			if d.ExtendedStatistics == nil {
				d.ExtendedStatistics = map[string]float64{}
			}
			n, _ := parseP(p)
			d.ExtendedStatistics[p] = n + float64(i)
		}
		out.Datapoints = append(out.Datapoints, d)
	}
	return out, nil
}

// parseP reads "p99" as 99.
func parseP(p string) (float64, bool) {
	var n float64
	for _, c := range strings.TrimPrefix(p, "p") {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + float64(c-'0')
	}
	return n, true
}

// GetMetricData answers each returned query with two points, one query per page.
func (f *fakeBackend) GetMetricData(_ context.Context, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	f.record(in)
	var ids []MetricDataQuery
	for _, q := range in.MetricDataQueries {
		if q.ReturnData == nil || *q.ReturnData {
			ids = append(ids, q)
		}
	}
	start := 0
	switch in.NextToken {
	case "":
	case "page2":
		start = 1
	default:
		return nil, InvalidNextToken()
	}
	out := &GetMetricDataOutput{Messages: []MessageData{}}
	if start < len(ids) {
		q := ids[start]
		out.MetricDataResults = []MetricDataResult{{Id: q.Id, Label: q.Label, StatusCode: "Complete",
			Timestamps: []time.Time{in.StartTime.Add(time.Minute), in.StartTime}, Values: []float64{2.5, 1}}}
	}
	if start+1 < len(ids) {
		out.NextToken = "page2"
	}
	return out, nil
}

func (f *fakeBackend) PutMetricData(_ context.Context, in *PutMetricDataInput) (*PutMetricDataOutput, error) {
	f.record(in)
	if strings.HasPrefix(in.Namespace, "AWS/") {
		return nil, InvalidParameterValue("The value AWS/ for parameter Namespace is invalid.")
	}
	f.mu.Lock()
	f.data = append(f.data, in.MetricData...)
	f.mu.Unlock()
	return nil, nil
}

func (f *fakeBackend) PutMetricAlarm(_ context.Context, in *PutMetricAlarmInput) (*PutMetricAlarmOutput, error) {
	f.record(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.alarms == nil {
		f.alarms = map[string]MetricAlarm{}
	}
	f.alarms[in.AlarmName] = MetricAlarm{AlarmName: in.AlarmName, AlarmArn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:" + in.AlarmName,
		AlarmDescription: in.AlarmDescription, ActionsEnabled: in.ActionsEnabled == nil || *in.ActionsEnabled,
		AlarmActions: in.AlarmActions, OKActions: in.OKActions, InsufficientDataActions: in.InsufficientDataActions,
		StateValue: StateInsufficientData, StateReason: "Unchecked: Initial alarm creation", StateUpdatedTimestamp: t0,
		AlarmConfigurationUpdatedTimestamp: t0, MetricName: in.MetricName, Namespace: in.Namespace, Statistic: in.Statistic,
		ExtendedStatistic: in.ExtendedStatistic, Dimensions: in.Dimensions, Period: in.Period, Unit: in.Unit,
		EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold,
		ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData, Metrics: in.Metrics}
	return nil, nil
}

func (f *fakeBackend) DescribeAlarms(_ context.Context, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	f.record(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &DescribeAlarmsOutput{MetricAlarms: []MetricAlarm{}}
	for name, a := range f.alarms {
		if strings.HasPrefix(name, in.AlarmNamePrefix) && (in.StateValue == "" || in.StateValue == a.StateValue) {
			out.MetricAlarms = append(out.MetricAlarms, a)
		}
	}
	sort.Slice(out.MetricAlarms, func(i, j int) bool { return out.MetricAlarms[i].AlarmName < out.MetricAlarms[j].AlarmName })
	return out, nil
}

func (f *fakeBackend) DeleteAlarms(_ context.Context, in *DeleteAlarmsInput) (*DeleteAlarmsOutput, error) {
	f.record(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range in.AlarmNames {
		if _, ok := f.alarms[n]; !ok {
			return nil, ResourceNotFound("%s not found", n)
		}
	}
	for _, n := range in.AlarmNames {
		delete(f.alarms, n)
	}
	return nil, nil
}

func (f *fakeBackend) SetAlarmState(_ context.Context, in *SetAlarmStateInput) (*SetAlarmStateOutput, error) {
	f.record(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.alarms[in.AlarmName]
	if !ok {
		return nil, ResourceNotFound("Alarm %s not found", in.AlarmName)
	}
	a.StateValue, a.StateReason, a.StateReasonData = in.StateValue, in.StateReason, in.StateReasonData
	f.alarms[in.AlarmName] = a
	return nil, nil
}
