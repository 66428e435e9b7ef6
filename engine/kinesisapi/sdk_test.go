package kinesisapi

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/sdkhttp"
)

var ctx = context.Background()

// startServer runs an engine and the API on a loopback port.
func startServer(t *testing.T, opts engine.Options) (*engine.Engine, string) {
	t.Helper()
	opts.InMemory = true
	eng, err := engine.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(eng, Options{}))
	t.Cleanup(func() { srv.Close(); eng.Close() })
	return eng, srv.URL
}

// client is an aws-sdk-go-v2 Kinesis client pointed at url, with retries off so throttling shows.
func client(url, region, accessKey string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		BaseEndpoint:     aws.String(url),
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.Client(nil, time.Minute),
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestGoSDKEndToEnd(t *testing.T) {
	eng, url := startServer(t, engine.Options{})
	kc := client(url, "us-east-1", "AKIDEXAMPLE")
	name := aws.String("sdk-stream")

	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	waiter := kinesis.NewStreamExistsWaiter(kc, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: name}, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	var entries []types.PutRecordsRequestEntry
	for i := range 100 {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("user-%d", i%10)),
			Data: fmt.Appendf(nil, "event-%03d", i)})
	}
	put, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: entries})
	if err != nil || aws.ToInt32(put.FailedRecordCount) != 0 || len(put.Records) != 100 {
		t.Fatalf("PutRecords: %+v, %v", put, err)
	}
	single, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("user-1"),
		Data: []byte("event-100")})
	if err != nil {
		t.Fatal(err)
	}
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil || len(shards.Shards) != 2 {
		t.Fatalf("ListShards: %+v, %v", shards, err)
	}

	// Every iterator type.
	firstSeq := aws.ToString(put.Records[0].SequenceNumber)
	firstShard := put.Records[0].ShardId
	for _, c := range []struct {
		typ  types.ShardIteratorType
		seq  *string
		ts   *time.Time
		some bool
	}{
		{types.ShardIteratorTypeTrimHorizon, nil, nil, true},
		{types.ShardIteratorTypeLatest, nil, nil, false},
		{types.ShardIteratorTypeAtSequenceNumber, aws.String(firstSeq), nil, true},
		{types.ShardIteratorTypeAfterSequenceNumber, aws.String(firstSeq), nil, true},
		{types.ShardIteratorTypeAtTimestamp, nil, aws.Time(time.Now().Add(-time.Minute)), true},
	} {
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: firstShard,
			ShardIteratorType: c.typ, StartingSequenceNumber: c.seq, Timestamp: c.ts})
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatalf("%s GetRecords: %v", c.typ, err)
		}
		if (len(got.Records) > 0) != c.some || got.NextShardIterator == nil || got.MillisBehindLatest == nil {
			t.Fatalf("%s: %d records, next %v", c.typ, len(got.Records), got.NextShardIterator)
		}
		if c.typ == types.ShardIteratorTypeAtSequenceNumber && aws.ToString(got.Records[0].SequenceNumber) != firstSeq {
			t.Fatalf("AT_SEQUENCE_NUMBER started at %s", aws.ToString(got.Records[0].SequenceNumber))
		}
		if c.some && got.Records[0].ApproximateArrivalTimestamp == nil {
			t.Fatal("ApproximateArrivalTimestamp missing")
		}
	}

	// Split, then merge, then read every record through the lineage: all 101, each key in order.
	parent := aws.ToString(single.ShardId)
	var parentRange *types.HashKeyRange
	for _, s := range shards.Shards {
		if aws.ToString(s.ShardId) == parent {
			parentRange = s.HashKeyRange
		}
	}
	infos, _ := eng.Shards(ctx, engine.StreamRef{StreamName: *name})
	var mid string
	for _, in := range infos {
		if in.ShardId == parent {
			mid = in.Range.Mid().String()
		}
	}
	if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: name, ShardToSplit: aws.String(parent),
		NewStartingHashKey: aws.String(mid)}); err != nil {
		t.Fatalf("SplitShard of %s (%v) at %s: %v", parent, parentRange, mid, err)
	}
	for i := 101; i < 151; i++ {
		if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String(fmt.Sprintf("user-%d", i%10)),
			Data: fmt.Appendf(nil, "event-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	open, _ := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name,
		ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
	if len(open.Shards) != 3 {
		t.Fatalf("%d open shards after the split", len(open.Shards))
	}
	a, b := adjacentPair(t, open.Shards)
	if _, err := kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: name, ShardToMerge: a,
		AdjacentShardToMerge: b}); err != nil {
		t.Fatal(err)
	}
	perKey := readLineage(t, kc, name)
	total := 0
	for key, events := range perKey {
		if !sort.StringsAreSorted(events) {
			t.Fatalf("key %s read out of order: %v", key, events)
		}
		total += len(events)
	}
	if total != 151 {
		t.Fatalf("read %d records through the lineage, want 151", total)
	}

	if _, err := kc.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: name}); err != nil {
		t.Fatal(err)
	}
	_, err = kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("after delete: %v", err)
	}
}

func adjacentPair(t *testing.T, shards []types.Shard) (*string, *string) {
	t.Helper()
	for _, x := range shards {
		for _, y := range shards {
			end, _ := new(bigInt).set(aws.ToString(x.HashKeyRange.EndingHashKey))
			start, _ := new(bigInt).set(aws.ToString(y.HashKeyRange.StartingHashKey))
			if end.plusOneIs(start) {
				return x.ShardId, y.ShardId
			}
		}
	}
	t.Fatal("no adjacent open shards")
	return nil, nil
}

// readLineage reads the whole stream the way KCL does (parents before children) and returns each key's data.
func readLineage(t *testing.T, kc *kinesis.Client, name *string) map[string][]string {
	t.Helper()
	all, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	perKey := map[string][]string{}
	for len(done) < len(all.Shards) {
		progressed := false
		for _, s := range all.Shards {
			id := aws.ToString(s.ShardId)
			if done[id] || (s.ParentShardId != nil && !done[*s.ParentShardId]) ||
				(s.AdjacentParentShardId != nil && !done[*s.AdjacentParentShardId]) {
				continue
			}
			it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: s.ShardId,
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			next := it.ShardIterator
			for next != nil {
				out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: next})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out.Records {
					k := aws.ToString(r.PartitionKey)
					perKey[k] = append(perKey[k], string(r.Data))
				}
				if len(out.Records) == 0 && out.NextShardIterator != nil {
					break // an open shard, caught up
				}
				next = out.NextShardIterator
			}
			done[id], progressed = true, true
		}
		if !progressed {
			t.Fatal("lineage has a shard whose parents never finish")
		}
	}
	return perKey
}

func TestGoSDKErrorsAndThrottling(t *testing.T) {
	// A stopped clock makes the token buckets deterministic however slowly the calls run (-race, a busy CI).
	frozen := time.Now()
	_, url := startServer(t, engine.Options{EnforceLimits: true, Clock: func() time.Time { return frozen }})
	kc := client(url, "us-east-1", "AKIDEXAMPLE")
	name := aws.String("limited")
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(1)})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("duplicate CreateStream: %v", err)
	}
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("missing"), PartitionKey: aws.String("k"), Data: []byte("x")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) != "Stream missing under account 000000000000 not found." {
		t.Fatalf("put to a missing stream: %v", err)
	}

	// 1,000 records/s per shard: of 1,500 records in one second, 500 are refused, each on its own.
	var entries []types.PutRecordsRequestEntry
	for i := range 500 {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte("x")})
	}
	failed := 0
	for range 3 {
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		failed += int(aws.ToInt32(out.FailedRecordCount))
		for _, r := range out.Records {
			if r.ErrorCode != nil && aws.ToString(r.ErrorCode) != "ProvisionedThroughputExceededException" {
				t.Fatalf("unexpected per-record error %s", aws.ToString(r.ErrorCode))
			}
		}
	}
	if failed != 500 {
		t.Fatalf("%d of 1,500 records throttled within one second, want 500", failed)
	}
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"), Data: make([]byte, 1<<20)})
	var throttled *types.ProvisionedThroughputExceededException
	var validation smithy.APIError
	if !errors.As(err, &throttled) && !(errors.As(err, &validation) && validation.ErrorCode() == "ValidationException") {
		t.Fatalf("a 1 MiB PutRecord right after 1,000 records: %v", err)
	}
	_, err = kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String(string(make([]byte, 300))), Data: []byte("x")}}})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("a 300-character key: %v", err)
	}
}

func TestARNAddressingAndRegions(t *testing.T) {
	_, url := startServer(t, engine.Options{})
	east := client(url, "us-east-1", "AKIDEXAMPLE")
	west := client(url, "us-west-2", "AKIDEXAMPLE")
	other := client(url, "us-east-1", "123456789012")
	for _, c := range []*kinesis.Client{east, west, other} {
		if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("same"), ShardCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
	}
	arns := map[string]bool{}
	for _, c := range []*kinesis.Client{east, west, other} {
		d, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("same")})
		if err != nil {
			t.Fatal(err)
		}
		arns[aws.ToString(d.StreamDescriptionSummary.StreamARN)] = true
	}
	for _, want := range []string{"arn:aws:kinesis:us-east-1:000000000000:stream/same",
		"arn:aws:kinesis:us-west-2:000000000000:stream/same", "arn:aws:kinesis:us-east-1:123456789012:stream/same"} {
		if !arns[want] {
			t.Fatalf("ARNs %v lack %s", arns, want)
		}
	}
	westARN := aws.String("arn:aws:kinesis:us-west-2:000000000000:stream/same")
	if _, err := east.PutRecord(ctx, &kinesis.PutRecordInput{StreamARN: westARN, PartitionKey: aws.String("k"), Data: []byte("by arn")}); err != nil {
		t.Fatal(err)
	}
	shards, _ := west.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: westARN})
	it, _ := west.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: westARN, ShardId: shards.Shards[0].ShardId,
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	got, err := west.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, StreamARN: westARN})
	if err != nil || len(got.Records) != 1 || string(got.Records[0].Data) != "by arn" {
		t.Fatalf("read by ARN: %+v, %v", got, err)
	}
	eastList, _ := east.ListStreams(ctx, &kinesis.ListStreamsInput{})
	if len(eastList.StreamNames) != 1 {
		t.Fatalf("us-east-1 lists %v", eastList.StreamNames)
	}
}
