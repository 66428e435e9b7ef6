package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// TestCloudWatchOnTheServePort is the check with aws-sdk-go-v2 (its CloudWatch client speaks Smithy RPC v2
// CBOR): after N records IncomingRecords' Sum is N, shard-level metrics are listed only after
// EnableEnhancedMonitoring, and what PutMetricData put comes back.
func TestCloudWatchOnTheServePort(t *testing.T) {
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authOff, transition: time.Millisecond}
	endpoint, _, _ := startServe(t, cfg)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("x", "y", "")
	kc := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1", Credentials: creds})
	cw := cloudwatch.New(cloudwatch.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1", Credentials: creds})
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now().Add(-5 * time.Minute)
	const n = 321
	var recs []types.PutRecordsRequestEntry
	for i := range n {
		recs = append(recs, types.PutRecordsRequestEntry{Data: []byte("x"), PartitionKey: aws.String(fmt.Sprint("k", i))})
	}
	if out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("orders"), Records: recs}); err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("PutRecords: %v", err)
	}
	stream := []cwtypes.Dimension{{Name: aws.String("StreamName"), Value: aws.String("orders")}}
	st, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Kinesis"),
		MetricName: aws.String("IncomingRecords"), Dimensions: stream, StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, d := range st.Datapoints {
		sum += aws.ToFloat64(d.Sum)
	}
	if sum != n {
		t.Errorf("IncomingRecords Sum %v, want %d", sum, n)
	}
	shardLevel := func() int {
		out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Kinesis"),
			Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("ShardId")}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Metrics)
	}
	if got := shardLevel(); got != 0 {
		t.Errorf("%d shard-level metrics before EnableEnhancedMonitoring", got)
	}
	if _, err := kc.EnableEnhancedMonitoring(ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("orders"),
		ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingRecords}}); err != nil {
		t.Fatal(err)
	}
	if got := shardLevel(); got != 2 {
		t.Errorf("%d shard-level metrics after enabling IncomingRecords on 2 shards, want 2", got)
	}
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("KinesisProducerLibrary"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("UserRecordsPut"), Value: aws.Float64(9), Unit: cwtypes.StandardUnitCount,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("StreamName"), Value: aws.String("orders")}}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("kpl"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("KinesisProducerLibrary"), MetricName: aws.String("UserRecordsPut"), Dimensions: stream}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.MetricDataResults) != 1 || fmt.Sprint(got.MetricDataResults[0].Values) != "[9]" {
		t.Errorf("GetMetricData of the KPL's metric: %+v", got.MetricDataResults)
	}
}
