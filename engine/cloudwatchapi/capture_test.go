package cloudwatchapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// capture is one file of testdata/capture: the requests a real client sent to a server that dumped them (see the
// package doc for how each was made).
type capture struct {
	Client   string
	Requests []struct {
		Operation  string
		Method     string
		Path       string
		Headers    map[string]string
		Body       string
		BodyBase64 string `json:"body_base64"`
	}
}

func loadCapture(t testing.TB, name string) capture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "capture", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	dimStream = Dimension{Name: "StreamName", Value: "clickstream"}
	dimShard  = Dimension{Name: "ShardId", Value: "shardId-000000000001"}
	t1        = t0.Add(time.Hour)
)

func metricStat(dims []Dimension, stat, unit string) *MetricStat {
	return &MetricStat{Metric: &Metric{Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: dims}, Period: 60, Stat: stat, Unit: unit}
}

// boto3Inputs is what the capture script asked boto3 for, in order: the scenario of boto3-json, boto3-query and
// boto3-cbor, whichever protocol carried it.
var boto3Inputs = []any{
	&ListMetricsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: []DimensionFilter{{Name: "StreamName", Value: "clickstream"}},
		NextToken: "tok1", RecentlyActive: "PT3H"},
	&GetMetricStatisticsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{dimStream, dimShard},
		StartTime: t0, EndTime: t1, Period: 60, Statistics: []string{"Sum", "Average", "SampleCount", "Minimum", "Maximum"}, Unit: "Bytes"},
	&GetMetricStatisticsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{dimStream, dimShard},
		StartTime: t0, EndTime: t1, Period: 300, ExtendedStatistics: []string{"p50", "p90", "p99"}},
	&GetMetricDataInput{MetricDataQueries: []MetricDataQuery{
		{Id: "m1", MetricStat: metricStat([]Dimension{dimStream, dimShard}, "Sum", "Count"), Label: "in", ReturnData: ptr(false)},
		{Id: "e1", Expression: "m1/60", Label: "per second", ReturnData: ptr(true), Period: ptr[int32](60)}},
		StartTime: t0, EndTime: t1, NextToken: "tok2", ScanBy: "TimestampAscending", MaxDatapoints: 1000, LabelOptions: &LabelOptions{Timezone: "+0130"}},
	&PutMetricDataInput{Namespace: "Shardlab/Test", MetricData: []MetricDatum{
		{MetricName: "Latency", Dimensions: []Dimension{dimStream, dimShard}, Timestamp: t0, Value: ptr(12.5), Unit: "Milliseconds", StorageResolution: 1},
		{MetricName: "Latency", Values: []float64{1, 2.5, 4}, Counts: []float64{3, 1, 2}, Unit: "Milliseconds"},
		{MetricName: "Size", StatisticValues: &StatisticSet{SampleCount: 4, Sum: 100, Minimum: 10, Maximum: 40}, Unit: "Bytes"}}},
	&PutMetricAlarmInput{AlarmName: "hot-shard", AlarmDescription: "too many writes", ActionsEnabled: ptr(true),
		OKActions: []string{"arn:aws:sns:us-east-1:000000000000:ok"}, AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:alarm"},
		InsufficientDataActions: []string{}, MetricName: "WriteProvisionedThroughputExceeded", Namespace: "AWS/Kinesis", Statistic: "Sum",
		Dimensions: []Dimension{dimStream, dimShard}, Period: 60, Unit: "Count", EvaluationPeriods: 3, DatapointsToAlarm: ptr[int32](2),
		Threshold: ptr(1.5), ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching"},
	&PutMetricAlarmInput{AlarmName: "math", EvaluationPeriods: 1, Threshold: ptr(100.0), ComparisonOperator: "GreaterThanThreshold",
		Metrics: []MetricDataQuery{{Id: "m1", MetricStat: metricStat([]Dimension{dimStream}, "p99", ""), ReturnData: ptr(false)},
			{Id: "e1", Expression: "m1*2", Label: "double", ReturnData: ptr(true)}}},
	&DescribeAlarmsInput{AlarmNames: []string{"hot-shard", "math"}, AlarmNamePrefix: "h", StateValue: "ALARM", ActionPrefix: "arn:",
		MaxRecords: 10, NextToken: "tok3", AlarmTypes: []string{"MetricAlarm", "CompositeAlarm"}},
	&DeleteAlarmsInput{AlarmNames: []string{"hot-shard", "math"}},
	&SetAlarmStateInput{AlarmName: "hot-shard", StateValue: "ALARM", StateReason: "testing", StateReasonData: `{"a":1}`},
}

// goInputs is the scenario of go-cbor, go-json and go-query (the aws-sdk-go-v2 client).
var goInputs = []any{
	&ListMetricsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: []DimensionFilter{{Name: "StreamName", Value: "clickstream"}}, NextToken: "tok1"},
	&GetMetricStatisticsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{dimStream, dimShard},
		StartTime: t0, EndTime: t1, Period: 60, Statistics: []string{"Sum", "Maximum"}, ExtendedStatistics: []string{"p50", "p99"}, Unit: "Bytes"},
	&GetMetricDataInput{MetricDataQueries: []MetricDataQuery{
		{Id: "m1", MetricStat: metricStat([]Dimension{dimStream, dimShard}, "Sum", "Count"), ReturnData: ptr(false)},
		{Id: "e1", Expression: "m1/60", Label: "per second", Period: ptr[int32](60)}},
		StartTime: t0, EndTime: t1, NextToken: "tok2", ScanBy: "TimestampAscending", MaxDatapoints: 500},
	&PutMetricDataInput{Namespace: "Shardlab/Test", MetricData: []MetricDatum{
		{MetricName: "Latency", Dimensions: []Dimension{dimStream, dimShard}, Timestamp: t0.Add(250 * time.Millisecond), Value: ptr(12.5), Unit: "Milliseconds", StorageResolution: 1},
		{MetricName: "Latency", Values: []float64{1, 2.5}, Counts: []float64{3, 1}},
		{MetricName: "Size", StatisticValues: &StatisticSet{SampleCount: 4, Sum: 100, Minimum: 10, Maximum: 40}, Unit: "Bytes"}}},
	&PutMetricAlarmInput{AlarmName: "hot-shard", ActionsEnabled: ptr(true), AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:alarm"},
		MetricName: "WriteProvisionedThroughputExceeded", Namespace: "AWS/Kinesis", Statistic: "Sum", Dimensions: []Dimension{dimStream},
		Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: ptr[int32](2), Threshold: ptr(1.5), ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"},
	&PutMetricAlarmInput{AlarmName: "math", EvaluationPeriods: 1, Threshold: ptr(100.0), ComparisonOperator: "GreaterThanThreshold",
		Metrics: []MetricDataQuery{{Id: "m1", MetricStat: metricStat([]Dimension{dimStream, dimShard}, "p99", ""), ReturnData: ptr(false)},
			{Id: "e1", Expression: "m1*2", Label: "double", ReturnData: ptr(true)}}},
	&DescribeAlarmsInput{AlarmNames: []string{"hot-shard", "math"}, StateValue: "ALARM", MaxRecords: 10, NextToken: "tok3", AlarmTypes: []string{"MetricAlarm"}},
	&DeleteAlarmsInput{AlarmNames: []string{"hot-shard", "math"}},
	&SetAlarmStateInput{AlarmName: "hot-shard", StateValue: "ALARM", StateReason: "testing", StateReasonData: `{"a":1}`},
}

// jsInputs is the scenario of js-json (@aws-sdk/client-cloudwatch).
var jsInputs = []any{
	&ListMetricsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: []DimensionFilter{{Name: "StreamName", Value: "clickstream"}}, NextToken: "tok1"},
	&GetMetricStatisticsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{dimStream, dimShard},
		StartTime: t0, EndTime: t1, Period: 60, Statistics: []string{"Sum", "Maximum"}, ExtendedStatistics: []string{"p99"}, Unit: "Bytes"},
	&GetMetricDataInput{MetricDataQueries: []MetricDataQuery{
		{Id: "m1", MetricStat: metricStat([]Dimension{dimStream, dimShard}, "Sum", ""), ReturnData: ptr(false)},
		{Id: "e1", Expression: "m1/60", Label: "per second"}}, StartTime: t0, EndTime: t1, MaxDatapoints: 500},
	&PutMetricDataInput{Namespace: "Shardlab/Test", MetricData: []MetricDatum{
		{MetricName: "Latency", Dimensions: []Dimension{dimStream, dimShard}, Timestamp: t0.Add(250 * time.Millisecond), Value: ptr(12.5), Unit: "Milliseconds", StorageResolution: 1},
		{MetricName: "Latency", Values: []float64{1, 2.5}, Counts: []float64{3, 1}},
		{MetricName: "Size", StatisticValues: &StatisticSet{SampleCount: 4, Sum: 100, Minimum: 10, Maximum: 40}, Unit: "Bytes"}}},
	&PutMetricAlarmInput{AlarmName: "hot-shard", AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:alarm"},
		MetricName: "WriteProvisionedThroughputExceeded", Namespace: "AWS/Kinesis", Statistic: "Sum", Dimensions: []Dimension{dimStream},
		Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: ptr[int32](2), Threshold: ptr(1.5), ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"},
	&DescribeAlarmsInput{AlarmNamePrefix: "hot", StateValue: "ALARM", MaxRecords: 5, AlarmTypes: []string{"MetricAlarm"}},
	&DeleteAlarmsInput{AlarmNames: []string{"hot-shard"}},
	&SetAlarmStateInput{AlarmName: "hot-shard", StateValue: "OK", StateReason: "manual"},
}

// cliInputs is the scenario of awscli1-json (`aws cloudwatch …` with the CLI's shorthand arguments).
var cliInputs = []any{
	&ListMetricsInput{Namespace: "AWS/Kinesis", Dimensions: []DimensionFilter{{Name: "StreamName", Value: "clickstream"}}},
	&GetMetricStatisticsInput{Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: []Dimension{dimStream},
		StartTime: t0, EndTime: t1, Period: 60, Statistics: []string{"Sum", "Average"}, ExtendedStatistics: []string{"p99"}},
	&PutMetricDataInput{Namespace: "Shardlab/Test", MetricData: []MetricDatum{{MetricName: "Latency", Unit: "Milliseconds", Value: ptr(12.5), Dimensions: []Dimension{dimStream}}}},
	&DescribeAlarmsInput{AlarmNames: []string{"hot-shard"}, StateValue: "ALARM"},
	&SetAlarmStateInput{AlarmName: "hot-shard", StateValue: "OK", StateReason: "manual"},
}

// TestCapturedRequests replays every captured request through the handler and compares what the Backend received
// with what the client was asked to send.
func TestCapturedRequests(t *testing.T) {
	for _, tc := range []struct {
		file  string
		proto protocol
		want  []any
	}{
		{"boto3-json", protoJSON, boto3Inputs}, {"boto3-query", protoQuery, boto3Inputs}, {"boto3-cbor", protoCBOR, boto3Inputs},
		{"go-cbor", protoCBOR, goInputs}, {"go-json", protoJSON, goInputs}, {"go-query", protoQuery, goInputs},
		{"js-json", protoJSON, jsInputs}, {"awscli1-json", protoJSON, cliInputs},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := loadCapture(t, tc.file)
			if len(c.Requests) != len(tc.want) {
				t.Fatalf("%d requests captured, %d expected", len(c.Requests), len(tc.want))
			}
			backend := &fakeBackend{}
			h := Handler{Backend: backend}
			for i, req := range c.Requests {
				r := replay(t, req.Method, req.Path, req.Headers, req.Body, req.BodyBase64)
				if p, name, ok := detect(r); !ok || p != tc.proto || (p != protoQuery && name != req.Operation) {
					t.Errorf("%s: detected protocol %d operation %q (recognized %v)", req.Operation, p, name, ok)
				}
				w := httptest.NewRecorder()
				backend.inputs = nil
				h.ServeHTTP(w, r)
				if got := backend.last(); len(backend.inputs) != 1 || !reflect.DeepEqual(got, tc.want[i]) {
					t.Errorf("%s (request %d, status %d %s):\n got %s\nwant %s", req.Operation, i+1, w.Code, w.Body, dump(got), dump(tc.want[i]))
				}
			}
		})
	}
}

func replay(t testing.TB, method, path string, headers map[string]string, body, body64 string) *http.Request {
	t.Helper()
	raw := []byte(body)
	if body64 != "" {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(body64); err != nil {
			t.Fatal(err)
		}
	}
	r := httptest.NewRequest(method, path, bytes.NewReader(raw))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}
