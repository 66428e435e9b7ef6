package cloudwatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

func open(t *testing.T, limits bool, now func() time.Time) (*engine.Engine, *Service) {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	s, err := Open(context.Background(), eng, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return eng, s
}

func create(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	ctx := context.Background()
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
	for {
		if d, err := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: name}); err == nil && d.StreamStatus == "ACTIVE" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func put(t *testing.T, eng *engine.Engine, stream string, n int) (accepted, refused int) {
	t.Helper()
	for n > 0 {
		batch := min(n, 500)
		var recs []engine.PutRecordsEntry
		for i := range batch {
			recs = append(recs, engine.PutRecordsEntry{Data: []byte("x"), PartitionKey: fmt.Sprint("k", i)})
		}
		out, err := eng.PutRecords(context.Background(), engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		refused += out.FailedRecordCount
		accepted += batch - out.FailedRecordCount
		n -= batch
	}
	return accepted, refused
}

func kinesisMetric(stream, name string) Metric {
	return Metric{Namespace: NamespaceKinesis, MetricName: name, Dimensions: []Dimension{{"StreamName", stream}}}
}

// TestIncomingRecordsSumIsWhatWasPut is the check: after N records, IncomingRecords' Sum over the window
// is N.
func TestIncomingRecordsSumIsWhatWasPut(t *testing.T) {
	eng, s := open(t, false, nil)
	create(t, eng, "orders", 4)
	start := time.Now().Add(-time.Minute)
	put(t, eng, "orders", 1234)
	ds, err := s.Statistics(context.Background(), StatisticsInput{Metric: kinesisMetric("orders", "IncomingRecords"),
		StartTime: start, EndTime: time.Now().Add(time.Minute), Period: 60, Statistics: []string{"Sum", "SampleCount"}, Extended: []string{"p99"}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, d := range ds {
		total += d.Sum
		if _, ok := d.Extended["p99"]; !ok {
			t.Errorf("no p99 in %+v", d)
		}
	}
	if total != 1234 {
		t.Errorf("IncomingRecords Sum %v, want 1234 (%+v)", total, ds)
	}
	if _, err := s.Statistics(context.Background(), StatisticsInput{Metric: kinesisMetric("orders", "IncomingRecords"),
		StartTime: start, EndTime: time.Now(), Period: 7, Statistics: []string{"Sum"}}); err == nil {
		t.Error("a period of 7 s was accepted")
	}
}

// TestShardLevelMetricsNeedEnhancedMonitoring: shard-level metrics are listed, and have data, only for the
// metrics EnableEnhancedMonitoring turned on.
func TestShardLevelMetricsNeedEnhancedMonitoring(t *testing.T) {
	eng, s := open(t, false, nil)
	create(t, eng, "orders", 2)
	ctx := context.Background()
	put(t, eng, "orders", 10)
	shardLevel := func() int {
		n := 0
		for _, m := range s.ListMetrics(ctx, NamespaceKinesis, "", []DimensionFilter{{Name: "ShardId"}}) {
			if m.dim("ShardId") != "" {
				n++
			}
		}
		return n
	}
	if n := shardLevel(); n != 0 {
		t.Fatalf("%d shard-level metrics before enhanced monitoring", n)
	}
	if _, err := eng.EnableEnhancedMonitoring(ctx, engine.StreamRef{StreamName: "orders"}, []string{"IncomingRecords"}); err != nil {
		t.Fatal(err)
	}
	if n := shardLevel(); n != 2 {
		t.Errorf("%d shard-level metrics with IncomingRecords on for 2 shards, want 2", n)
	}
	m := Metric{Namespace: NamespaceKinesis, MetricName: "IncomingRecords", Dimensions: []Dimension{{"StreamName", "orders"}, {"ShardId", "shardId-000000000000"}}}
	m.Dimensions = sortedDims(m.Dimensions)
	ds, _ := s.Statistics(ctx, StatisticsInput{Metric: m, StartTime: time.Now().Add(-time.Minute), EndTime: time.Now().Add(time.Minute), Period: 60, Statistics: []string{"Sum"}})
	if len(ds) == 0 {
		t.Error("no data for an enhanced shard-level metric")
	}
}

// TestPutMetricDataComesBack: custom metrics are listed and their statistics computed, percentiles included.
func TestPutMetricDataComesBack(t *testing.T) {
	_, s := open(t, false, nil)
	ctx := context.Background()
	now := time.Now()
	var data []Datum
	for i := 1; i <= 100; i++ {
		v := float64(i)
		data = append(data, Datum{MetricName: "Latency", Dimensions: []Dimension{{"Operation", "put"}}, Timestamp: now, Value: &v, Unit: "Milliseconds"})
	}
	if err := s.PutMetricData(ctx, "KinesisProducerLibrary", data); err != nil {
		t.Fatal(err)
	}
	if ms := s.ListMetrics(ctx, "KinesisProducerLibrary", "", nil); len(ms) != 1 || ms[0].MetricName != "Latency" {
		t.Errorf("ListMetrics: %+v", ms)
	}
	m := Metric{Namespace: "KinesisProducerLibrary", MetricName: "Latency", Dimensions: []Dimension{{"Operation", "put"}}}
	ds, err := s.Statistics(ctx, StatisticsInput{Metric: m, StartTime: now.Add(-time.Minute), EndTime: now.Add(time.Minute), Period: 60,
		Statistics: []string{"Average", "Maximum", "SampleCount"}, Extended: []string{"p90"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].SampleCount != 100 || ds[0].Average != 50.5 || ds[0].Maximum != 100 || ds[0].Extended["p90"] != 90 || ds[0].Unit != "Milliseconds" {
		t.Errorf("datapoints: %+v", ds)
	}
	bad := 1.0
	if err := s.PutMetricData(ctx, "AWS/Kinesis", []Datum{{MetricName: "x", Value: &bad}}); err == nil {
		t.Error("a put into AWS/Kinesis was accepted")
	}
}

// TestGetMetricDataMathAndPaging: SUM(METRICS()) and arithmetic over MetricStat queries, and pages of
// MaxDatapoints values.
func TestGetMetricDataMathAndPaging(t *testing.T) {
	_, s := open(t, false, nil)
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	for i := range 5 {
		for _, op := range []string{"a", "b"} {
			v := float64(i + 1)
			if err := s.PutMetricData(ctx, "App", []Datum{{MetricName: "Calls", Dimensions: []Dimension{{"Op", op}}, Timestamp: start.Add(time.Duration(i) * time.Minute), Value: &v}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	stat := func(op string) *MetricStat {
		return &MetricStat{Metric: Metric{Namespace: "App", MetricName: "Calls", Dimensions: []Dimension{{"Op", op}}}, Period: 60, Stat: "Sum"}
	}
	no := false
	out, err := s.GetMetricData(ctx, DataInput{StartTime: start, EndTime: start.Add(10 * time.Minute), ScanBy: "TimestampAscending",
		Queries: []Query{{ID: "m1", MetricStat: stat("a"), ReturnData: &no}, {ID: "m2", MetricStat: stat("b"), ReturnData: &no},
			{ID: "total", Expression: "SUM(METRICS())"}, {ID: "double", Expression: "m1 * 2 + 0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 2 || fmt.Sprint(out.Results[0].Values) != "[2 4 6 8 10]" || fmt.Sprint(out.Results[1].Values) != "[2 4 6 8 10]" {
		t.Errorf("results: %+v", out.Results)
	}
	page1, err := s.GetMetricData(ctx, DataInput{StartTime: start, EndTime: start.Add(10 * time.Minute), MaxDatapoints: 3,
		Queries: []Query{{ID: "m1", MetricStat: stat("a")}, {ID: "m2", MetricStat: stat("b")}}})
	if err != nil || page1.NextToken == "" || len(page1.Results) != 1 || len(page1.Results[0].Values) != 3 {
		t.Fatalf("page 1: %+v %v", page1, err)
	}
	var got []float64
	for p := page1; ; {
		for _, r := range p.Results {
			got = append(got, r.Values...)
		}
		if p.NextToken == "" {
			break
		}
		p, err = s.GetMetricData(ctx, DataInput{StartTime: start, EndTime: start.Add(10 * time.Minute), MaxDatapoints: 3, NextToken: p.NextToken,
			Queries: []Query{{ID: "m1", MetricStat: stat("a")}, {ID: "m2", MetricStat: stat("b")}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 10 {
		t.Errorf("all pages: %v, want 10 values", got)
	}
	if _, err := s.GetMetricData(ctx, DataInput{StartTime: start, EndTime: start.Add(time.Minute), Queries: []Query{{ID: "e", Expression: "nope + 1"}}}); err == nil {
		t.Error("an expression naming no query was accepted")
	}
}

// TestAnAlarmOnAThrottledStreamReachesALARM: writes over a shard's limit make WriteProvisionedThroughputExceeded
// breach, and the alarm goes from INSUFFICIENT_DATA to ALARM; SetAlarmState and DeleteAlarms work on it.
func TestAnAlarmOnAThrottledStreamReachesALARM(t *testing.T) {
	later := func() time.Time { return time.Now().Add(10 * time.Second) } // the period now counting is complete
	eng, s := open(t, true, later)
	create(t, eng, "hot", 1)
	ctx := context.Background()
	alarm := Alarm{AlarmName: "throttled", Metric: kinesisMetric("hot", "WriteProvisionedThroughputExceeded"), Statistic: "Sum",
		Period: 10, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold"}
	if err := s.PutMetricAlarm(ctx, alarm); err != nil {
		t.Fatal(err)
	}
	if a := s.DescribeAlarms(AlarmFilter{Names: []string{"throttled"}}); len(a) != 1 || a[0].StateValue != StateInsufficientData {
		t.Fatalf("a new alarm: %+v", a)
	}
	if _, refused := put(t, eng, "hot", 3000); refused == 0 {
		t.Fatal("3,000 records in a second were all accepted by one shard with limits on")
	}
	s.EvaluateAll(ctx)
	a := s.DescribeAlarms(AlarmFilter{State: StateAlarm})
	if len(a) != 1 || len(a[0].History) == 0 {
		t.Fatalf("after the throttling: %+v", s.DescribeAlarms(AlarmFilter{}))
	}
	if err := s.SetAlarmState(ctx, "throttled", StateOK, "testing", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlarms(ctx, []string{"throttled", "nope"}); err == nil {
		t.Error("deleting an alarm that does not exist was accepted")
	}
	if err := s.DeleteAlarms(ctx, []string{"throttled"}); err != nil || len(s.DescribeAlarms(AlarmFilter{})) != 0 {
		t.Errorf("DeleteAlarms: %v", err)
	}
}

// TestSampledTotalsBecomeDatapoints: a subsystem's running total becomes datapoints of its growth (counted from
// 0, where the subsystem's total starts), listed under its namespace.
func TestSampledTotalsBecomeDatapoints(t *testing.T) {
	_, s := open(t, false, nil)
	total := 100.0
	m := Metric{Namespace: NamespaceFirehose, MetricName: "IncomingRecords", Dimensions: []Dimension{{"DeliveryStreamName", "d"}}}
	s.AddSampler(func() []Sample { return []Sample{{Metric: m, Value: total, Total: true, Unit: "Count"}} })
	now := time.Now()
	s.sample(now)
	total = 130
	s.sample(now.Add(10 * time.Second))
	if ms := s.ListMetrics(context.Background(), NamespaceFirehose, "", nil); len(ms) != 1 {
		t.Fatalf("ListMetrics: %+v", ms)
	}
	ds, err := s.Statistics(context.Background(), StatisticsInput{Metric: m, StartTime: now.Add(-time.Minute), EndTime: now.Add(time.Minute),
		Period: 60, Statistics: []string{"Sum"}})
	if err != nil || len(ds) != 1 || ds[0].Sum != 130 {
		t.Errorf("datapoints %+v, %v; want one of Sum 130 (100 before the first reading, 30 after)", ds, err)
	}
}

// TestVideoSamplerCountsNewFragments: fragments stored after the first reading are published as
// PutMedia.IncomingFragments/Frames/Bytes; those stored before are history.
func TestVideoSamplerCountsNewFragments(t *testing.T) {
	eng, _ := open(t, false, nil)
	store, err := video.Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateStream(video.CreateInput{Name: "cam", MediaType: "video/h264", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	ingest := func() {
		f, err := samples.FS.Open("testpattern.ts")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := store.Ingest(context.Background(), "cam", f, time.Now(), func(video.Ack) {}); err != nil {
			t.Fatal(err)
		}
	}
	ingest()
	sample := VideoSampler(store)
	if got := sample(); len(got) != 0 {
		t.Fatalf("the first reading published history: %+v", got)
	}
	ingest()
	got := sample()
	byName := map[string]float64{}
	for _, s := range got {
		byName[s.Metric.MetricName] = s.Value
	}
	frags, _ := store.ListFragmentsAfter("cam", 0)
	if byName["PutMedia.IncomingFragments"] != float64(len(frags)/2) || byName["PutMedia.IncomingBytes"] <= 0 || byName["PutMedia.IncomingFrames"] <= 0 {
		t.Errorf("samples %+v, want the %d fragments of the second import", byName, len(frags)/2)
	}
	if again := sample(); len(again) != 0 {
		t.Errorf("a reading with nothing new published %+v", again)
	}
}
