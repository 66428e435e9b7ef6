package cloudwatchapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// TestGoSDK drives the handler with aws-sdk-go-v2's CloudWatch client in each protocol it can speak: RPC v2 CBOR
// (its default), and AWS JSON 1.0 and Query (set through Options.Protocol, as older releases of the client spoke
// Query), and checks what the client parsed.
func TestGoSDK(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto func(*cloudwatch.Options)
	}{
		{"cbor", func(*cloudwatch.Options) {}},
		{"json", func(o *cloudwatch.Options) { o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801) }},
		{"query", func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := &fakeBackend{}
			srv := httptest.NewServer(Handler{Backend: backend})
			defer srv.Close()
			c := cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}, tc.proto)
			goScenario(t, c, backend)
		})
	}
}

func goScenario(t *testing.T, c *cloudwatch.Client, backend *fakeBackend) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dims := []types.Dimension{{Name: aws.String("StreamName"), Value: aws.String("clickstream")}}

	lm, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Kinesis")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lm.Metrics) != 2 || aws.ToString(lm.Metrics[1].MetricName) != "IncomingBytes" || len(lm.Metrics[1].Dimensions) != 2 ||
		aws.ToString(lm.Metrics[1].Dimensions[1].Value) != "shardId-000000000001" {
		t.Errorf("ListMetrics: %+v", lm.Metrics)
	}

	gs, err := c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Kinesis"),
		MetricName: aws.String("IncomingBytes"), Dimensions: dims, StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)),
		Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum, types.StatisticMinimum},
		ExtendedStatistics: []string{"p50", "p90", "p99"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gs.Label) != "IncomingBytes" || len(gs.Datapoints) != 2 {
		t.Fatalf("GetMetricStatistics: %+v", gs)
	}
	d := gs.Datapoints[1]
	if !aws.ToTime(d.Timestamp).Equal(t0.Add(time.Minute)) || aws.ToFloat64(d.Sum) != 20 || d.Minimum == nil ||
		*d.Minimum != 0 || d.Maximum != nil || d.ExtendedStatistics["p99"] != 100 || d.ExtendedStatistics["p50"] != 51 ||
		d.Unit != types.StandardUnitCount {
		t.Errorf("GetMetricStatistics datapoint: %+v", d)
	}

	queries := []types.MetricDataQuery{
		{Id: aws.String("m1"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("AWS/Kinesis"),
			MetricName: aws.String("IncomingRecords"), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}, Label: aws.String("in")},
		{Id: aws.String("e1"), Expression: aws.String("m1/60"), Label: aws.String("per second")},
	}
	gd, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{MetricDataQueries: queries,
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.MetricDataResults) != 1 || aws.ToString(gd.NextToken) != "page2" {
		t.Fatalf("GetMetricData page 1: %+v", gd)
	}
	r := gd.MetricDataResults[0]
	if aws.ToString(r.Id) != "m1" || aws.ToString(r.Label) != "in" || r.StatusCode != types.StatusCodeComplete ||
		len(r.Timestamps) != 2 || !r.Timestamps[0].Equal(t0.Add(time.Minute)) || len(r.Values) != 2 || r.Values[0] != 2.5 {
		t.Errorf("GetMetricData result: %+v", r)
	}
	gd, err = c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, NextToken: gd.NextToken,
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.MetricDataResults) != 1 || aws.ToString(gd.MetricDataResults[0].Id) != "e1" || gd.NextToken != nil {
		t.Errorf("GetMetricData page 2: %+v", gd)
	}
	_, err = c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, NextToken: aws.String("nope"),
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour))})
	var badToken *types.InvalidNextToken
	if !errors.As(err, &badToken) || !hasCode(err, "InvalidNextToken") {
		t.Errorf("GetMetricData with a bad token: %v", err)
	}

	_, err = c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Shardlab/Test"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(t0.Add(250 * time.Millisecond)), Value: aws.Float64(12.5), Unit: types.StandardUnitMilliseconds},
		{MetricName: aws.String("Latency"), Values: []float64{1, 2.5}, Counts: []float64{3, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(backend.data) != 2 || !backend.data[0].Timestamp.Equal(t0.Add(250*time.Millisecond)) || *backend.data[0].Value != 12.5 ||
		backend.data[1].Counts[0] != 3 {
		t.Errorf("PutMetricData stored %+v", backend.data)
	}
	_, err = c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Kinesis"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	var badValue *types.InvalidParameterValueException
	if !errors.As(err, &badValue) || !hasCode(err, "InvalidParameterValue") {
		t.Errorf("PutMetricData to AWS/: %v", err)
	}

	_, err = c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("hot-shard"), MetricName: aws.String("WriteProvisionedThroughputExceeded"),
		Namespace: aws.String("AWS/Kinesis"), Statistic: types.StatisticSum, Dimensions: dims, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2), Threshold: aws.Float64(1.5),
		ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("hot-shard"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("testing")}); err != nil {
		t.Fatal(err)
	}
	da, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("hot")})
	if err != nil {
		t.Fatal(err)
	}
	if len(da.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms: %+v", da)
	}
	a := da.MetricAlarms[0]
	if aws.ToString(a.AlarmName) != "hot-shard" || a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "testing" ||
		aws.ToFloat64(a.Threshold) != 1.5 || aws.ToInt32(a.DatapointsToAlarm) != 2 || !aws.ToBool(a.ActionsEnabled) ||
		len(a.AlarmActions) != 1 || len(a.OKActions) != 0 || !aws.ToTime(a.StateUpdatedTimestamp).Equal(t0) ||
		a.ComparisonOperator != types.ComparisonOperatorGreaterThanOrEqualToThreshold {
		t.Errorf("DescribeAlarms alarm: %+v", a)
	}

	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	var notFound *types.ResourceNotFound
	if !errors.As(err, &notFound) || !hasCode(err, "ResourceNotFound") {
		t.Errorf("SetAlarmState of a missing alarm: %v", err)
	}
	if _, err = c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"hot-shard"}}); err != nil {
		t.Fatal(err)
	}
	// A required member left out: the SDK checks before sending, so send what a careless client would.
	_, err = c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Kinesis"),
		MetricName: aws.String("IncomingBytes"), StartTime: aws.Time(t0), EndTime: aws.Time(t0), Period: aws.Int32(61)})
	if !errors.As(err, &badValue) || !hasCode(err, "InvalidParameterValue") {
		t.Errorf("GetMetricStatistics with Period 61: %v", err)
	}
}

// hasCode reports whether err is the API error code: the Query code, which the JSON and CBOR clients take from
// x-amzn-query-error; over Query the Go client reports the modelled shape's name instead (InvalidParameterValue
// resolves to InvalidParameterValueException), which is the client's doing, not the answer's.
func hasCode(err error, code string) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	shape := code
	if s, ok := errorShapes[code]; ok {
		shape = s.shape
	}
	return api.ErrorCode() == code || api.ErrorCode() == shape
}
