package engine

import (
	"strings"
	"testing"
	"time"
)

func TestWriteLimitsThrottlePerRecord(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, EnforceLimits: true})
	mustCreate(t, e, "s", 1)
	put := func(n, size int) *PutRecordsOutput {
		out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(n, size)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// 1,000 records/s: two full batches fit, a third in the same second is throttled record by record.
	if out := put(500, 10); out.FailedRecordCount != 0 {
		t.Fatalf("first 500 records: %d failed", out.FailedRecordCount)
	}
	put(500, 10)
	out := put(10, 10)
	if out.FailedRecordCount != 10 {
		t.Fatalf("over 1,000 records/s: %d of 10 failed", out.FailedRecordCount)
	}
	r := out.Records[0]
	if r.ErrorCode != ErrThroughputExceeded ||
		r.ErrorMessage != "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000." ||
		r.SequenceNumber != "" {
		t.Fatalf("throttled record result %+v", r)
	}
	clock.Add(100 * time.Millisecond) // refills 100 records' worth
	if out := put(150, 10); out.FailedRecordCount != 50 {
		t.Fatalf("after 100 ms, %d of 150 failed; want 50", out.FailedRecordCount)
	}
	clock.Add(time.Second)
	// 1 MiB/s: a 600 KiB record fits, a second one does not.
	if out := put(1, 600<<10); out.FailedRecordCount != 0 {
		t.Fatal("first 600 KiB record throttled")
	}
	if out := put(1, 600<<10); out.FailedRecordCount != 1 {
		t.Fatal("second 600 KiB record in the same second accepted")
	}
	_, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: make([]byte, 600<<10)})
	wantCode(t, err, ErrThroughputExceeded)

	var snap MetricsSnapshot
	if err := e.Metrics(ctx, ref("s"), 5, &snap); err != nil {
		t.Fatal(err)
	}
	var throttled, in uint32
	for _, v := range snap.Shards[0].Series[WriteProvisionedThroughputExceeded] {
		throttled += v
	}
	for _, v := range snap.Shards[0].Series[IncomingRecords] {
		in += v
	}
	if throttled != 10+50+1+1 || in != 1000+100+1 {
		t.Fatalf("metrics count %d throttled and %d incoming records", throttled, in)
	}
}

func TestReadLimits(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, EnforceLimits: true})
	sh, _ := oneShard(t, e, nil, 1)
	it := mustIterator(t, e, "s", sh, IteratorTrimHorizon, "")
	for i := range 5 {
		if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it}); err != nil {
			t.Fatalf("call %d of 5 in a second: %v", i+1, err)
		}
	}
	_, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if ke := wantCode(t, err, ErrThroughputExceeded); !strings.Contains(ke.Message, "Rate exceeded for shard "+sh) {
		t.Fatalf("message = %q", ke.Message)
	}
	clock.Add(time.Second)
	if err := e.SetLimitsEnforced(ctx, ref("s"), false); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it}); err != nil {
			t.Fatalf("with limits off: %v", err)
		}
	}
}

func TestReadBytesLimitChargesAfterTheFact(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, EnforceLimits: true})
	mustCreate(t, e, "s", 1)
	if err := e.SetLimitsEnforced(ctx, ref("s"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(6, 1<<20-16)}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetLimitsEnforced(ctx, ref("s"), true); err != nil {
		t.Fatal(err)
	}
	it := mustIterator(t, e, "s", "shardId-000000000000", IteratorTrimHorizon, "")
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if err != nil || len(out.Records) != 6 {
		t.Fatalf("a 6 MiB read with 2 MiB/s: %d records, %v (Kinesis lets it through and charges later)", len(out.Records), err)
	}
	clock.Add(time.Second)
	_, err = e.GetRecords(ctx, GetRecordsInput{ShardIterator: out.NextShardIterator})
	wantCode(t, err, ErrThroughputExceeded)
	clock.Add(2 * time.Second)
	if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: out.NextShardIterator}); err != nil {
		t.Fatalf("3 s after a 6 MiB read: %v", err)
	}
}

func TestConfigurableLimits(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, EnforceLimits: true,
		Limits: ThroughputLimits{WriteBytesPerSec: 1 << 20, WriteRecordsPerSec: 10, ReadBytesPerSec: 1 << 20, ReadCallsPerSec: 1}})
	mustCreate(t, e, "s", 1)
	out, _ := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(15, 1)})
	if out.FailedRecordCount != 5 {
		t.Fatalf("limit 10 records/s: %d of 15 failed", out.FailedRecordCount)
	}
	e.SetThroughputLimits(DefaultLimits)
	out, _ = e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(15, 1)})
	if out.FailedRecordCount != 0 || e.ThroughputLimits() != DefaultLimits {
		t.Fatalf("after raising the limits %d failed", out.FailedRecordCount)
	}
}
