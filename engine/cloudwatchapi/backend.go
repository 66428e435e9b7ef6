package cloudwatchapi

import (
	"context"
	"errors"
	"strings"

	"github.com/shardlab/shardlab/engine/cloudwatch"
)

// Service is the Backend over engine/cloudwatch: each call translated to the Service's terms and back.
type Service struct {
	S *cloudwatch.Service
}

var _ Backend = Service{}

func dims(ds []Dimension) []cloudwatch.Dimension {
	out := make([]cloudwatch.Dimension, len(ds))
	for i, d := range ds {
		out[i] = cloudwatch.Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

func wireDims(ds []cloudwatch.Dimension) []Dimension {
	out := make([]Dimension, len(ds))
	for i, d := range ds {
		out[i] = Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

// wireError gives a Service error its wire shape; anything else stays an internal error.
func wireError(err error) error {
	var ce *cloudwatch.Error
	if errors.As(err, &ce) {
		return &Error{Code: ce.Code, Message: ce.Message, Status: errorShapes[ce.Code].status}
	}
	return err
}

func (b Service) ListMetrics(ctx context.Context, in *ListMetricsInput) (*ListMetricsOutput, error) {
	var filters []cloudwatch.DimensionFilter
	for _, f := range in.Dimensions {
		filters = append(filters, cloudwatch.DimensionFilter{Name: f.Name, Value: f.Value})
	}
	out := &ListMetricsOutput{Metrics: []Metric{}}
	for _, m := range b.S.ListMetrics(ctx, in.Namespace, in.MetricName, filters) {
		out.Metrics = append(out.Metrics, Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: wireDims(m.Dimensions)})
	}
	return out, nil
}

func (b Service) GetMetricStatistics(ctx context.Context, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	ds, err := b.S.Statistics(ctx, cloudwatch.StatisticsInput{
		Metric:    cloudwatch.Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: dims(in.Dimensions)},
		StartTime: in.StartTime, EndTime: in.EndTime, Period: int(in.Period), Statistics: in.Statistics,
		Extended: in.ExtendedStatistics, Unit: in.Unit})
	if err != nil {
		return nil, wireError(err)
	}
	out := &GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []Datapoint{}}
	for _, d := range ds {
		p := Datapoint{Timestamp: d.Timestamp, Unit: d.Unit, ExtendedStatistics: d.Extended}
		if p.Unit == "" {
			p.Unit = "None"
		}
		for _, st := range in.Statistics { // only the statistics asked for, as CloudWatch answers
			v := d
			switch st {
			case "SampleCount":
				p.SampleCount = &v.SampleCount
			case "Average":
				p.Average = &v.Average
			case "Sum":
				p.Sum = &v.Sum
			case "Minimum":
				p.Minimum = &v.Minimum
			case "Maximum":
				p.Maximum = &v.Maximum
			}
		}
		out.Datapoints = append(out.Datapoints, p)
	}
	return out, nil
}

func query(q MetricDataQuery) cloudwatch.Query {
	out := cloudwatch.Query{ID: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
	if q.Period != nil {
		out.Period = int(*q.Period)
	}
	if st := q.MetricStat; st != nil && st.Metric != nil {
		out.MetricStat = &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: st.Metric.Namespace,
			MetricName: st.Metric.MetricName, Dimensions: dims(st.Metric.Dimensions)}, Period: int(st.Period), Stat: st.Stat, Unit: st.Unit}
	}
	return out
}

func (b Service) GetMetricData(ctx context.Context, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	var qs []cloudwatch.Query
	for _, q := range in.MetricDataQueries {
		qs = append(qs, query(q))
	}
	res, err := b.S.GetMetricData(ctx, cloudwatch.DataInput{Queries: qs, StartTime: in.StartTime, EndTime: in.EndTime,
		ScanBy: in.ScanBy, MaxDatapoints: int(in.MaxDatapoints), NextToken: in.NextToken})
	if err != nil {
		var ce *cloudwatch.Error
		if errors.As(err, &ce) && strings.Contains(ce.Message, "NextToken") {
			return nil, InvalidNextToken()
		}
		return nil, wireError(err)
	}
	out := &GetMetricDataOutput{NextToken: res.NextToken, MetricDataResults: []MetricDataResult{}}
	for _, r := range res.Results {
		out.MetricDataResults = append(out.MetricDataResults, MetricDataResult{Id: r.ID, Label: r.Label,
			Timestamps: r.Timestamps, Values: r.Values, StatusCode: r.StatusCode})
	}
	return out, nil
}

func (b Service) PutMetricData(ctx context.Context, in *PutMetricDataInput) (*PutMetricDataOutput, error) {
	data := make([]cloudwatch.Datum, 0, len(in.MetricData))
	for _, d := range in.MetricData {
		cd := cloudwatch.Datum{MetricName: d.MetricName, Dimensions: dims(d.Dimensions), Timestamp: d.Timestamp,
			Value: d.Value, Values: d.Values, Counts: d.Counts, Unit: d.Unit}
		if s := d.StatisticValues; s != nil {
			cd.StatisticValues = &cloudwatch.StatisticSet{SampleCount: s.SampleCount, Sum: s.Sum, Minimum: s.Minimum, Maximum: s.Maximum}
		}
		data = append(data, cd)
	}
	if err := b.S.PutMetricData(ctx, in.Namespace, data); err != nil {
		return nil, wireError(err)
	}
	return &PutMetricDataOutput{}, nil
}

func (b Service) PutMetricAlarm(ctx context.Context, in *PutMetricAlarmInput) (*PutMetricAlarmOutput, error) {
	if len(in.Metrics) > 0 {
		return nil, InvalidParameterValue("Metric-math alarms (Metrics) are not supported by Shardlab; give MetricName, Namespace and a Statistic.")
	}
	if in.Threshold == nil {
		return nil, MissingParameter("Threshold")
	}
	a := cloudwatch.Alarm{AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription,
		Metric:    cloudwatch.Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: dims(in.Dimensions)},
		Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic, Period: int(in.Period), EvaluationPeriods: int(in.EvaluationPeriods),
		Threshold: *in.Threshold, ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData,
		ActionsEnabled: in.ActionsEnabled == nil || *in.ActionsEnabled, AlarmActions: in.AlarmActions, OKActions: in.OKActions,
		InsufficientDataActions: in.InsufficientDataActions, Unit: in.Unit}
	if in.DatapointsToAlarm != nil {
		a.DatapointsToAlarm = int(*in.DatapointsToAlarm)
	}
	if err := b.S.PutMetricAlarm(ctx, a); err != nil {
		return nil, wireError(err)
	}
	return &PutMetricAlarmOutput{}, nil
}

func (b Service) DescribeAlarms(_ context.Context, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	out := &DescribeAlarmsOutput{MetricAlarms: []MetricAlarm{}}
	for _, a := range b.S.DescribeAlarms(cloudwatch.AlarmFilter{Names: in.AlarmNames, NamePrefix: in.AlarmNamePrefix, State: in.StateValue}) {
		threshold, toAlarm := a.Threshold, int32(a.DatapointsToAlarm)
		out.MetricAlarms = append(out.MetricAlarms, MetricAlarm{AlarmName: a.AlarmName, AlarmArn: a.AlarmArn,
			AlarmDescription: a.AlarmDescription, AlarmConfigurationUpdatedTimestamp: a.ConfigurationUpdated,
			ActionsEnabled: a.ActionsEnabled, OKActions: a.OKActions, AlarmActions: a.AlarmActions,
			InsufficientDataActions: a.InsufficientDataActions, StateValue: a.StateValue, StateReason: a.StateReason,
			StateReasonData: a.StateReasonData, StateUpdatedTimestamp: a.StateUpdatedTimestamp, MetricName: a.Metric.MetricName,
			Namespace: a.Metric.Namespace, Statistic: a.Statistic, ExtendedStatistic: a.ExtendedStatistic,
			Dimensions: wireDims(a.Metric.Dimensions), Period: int32(a.Period), Unit: a.Unit, EvaluationPeriods: int32(a.EvaluationPeriods),
			DatapointsToAlarm: &toAlarm, Threshold: &threshold, ComparisonOperator: a.ComparisonOperator,
			TreatMissingData: a.TreatMissingData, StateTransitionedTimestamp: a.StateUpdatedTimestamp})
	}
	return out, nil
}

func (b Service) DeleteAlarms(ctx context.Context, in *DeleteAlarmsInput) (*DeleteAlarmsOutput, error) {
	if err := b.S.DeleteAlarms(ctx, in.AlarmNames); err != nil {
		return nil, wireError(err)
	}
	return &DeleteAlarmsOutput{}, nil
}

func (b Service) SetAlarmState(ctx context.Context, in *SetAlarmStateInput) (*SetAlarmStateOutput, error) {
	if err := b.S.SetAlarmState(ctx, in.AlarmName, in.StateValue, in.StateReason, in.StateReasonData); err != nil {
		return nil, wireError(err)
	}
	return &SetAlarmStateOutput{}, nil
}
