package engine

import (
	"testing"
	"time"
)

func TestFaultInjection(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "f", 2)
	if err := e.SetFaults(ctx, ref("f"), "", FaultSpec{ThrottleRate: 1}); err != nil {
		t.Fatal(err)
	}
	out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("f"), Records: manyRecords(20, 10)})
	if err != nil || out.FailedRecordCount != 20 || out.Records[0].ErrorCode != ErrThroughputExceeded {
		t.Fatalf("throttle rate 1: %+v, %v", out, err)
	}
	_, err = e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "f", "shardId-000000000000", IteratorTrimHorizon, "")})
	wantCode(t, err, ErrThroughputExceeded)

	// A shard-level fault affects only that shard; clearing the stream-level one lets the rest through.
	if err := e.SetFaults(ctx, ref("f"), "", FaultSpec{}); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, e, "f")
	if err := e.SetFaults(ctx, ref("f"), "shardId-000000000001", FaultSpec{InternalFailureRate: 1}); err != nil {
		t.Fatal(err)
	}
	out, _ = e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("f"), Records: manyRecords(50, 10)})
	for _, r := range out.Records {
		if (r.ShardId == "") != (r.ErrorCode == ErrInternalFailure) {
			t.Fatalf("record result %+v: only shard 1's records should fail", r)
		}
	}
	if out.FailedRecordCount == 0 || out.FailedRecordCount == 50 {
		t.Fatalf("%d of 50 failed; want those of shard 1 only", out.FailedRecordCount)
	}
	listed, _ := e.Faults(ctx, ref("f"))
	if len(listed) != 1 || listed["shardId-000000000001"].InternalFailureRate != 1 {
		t.Fatalf("Faults = %+v", listed)
	}

	if err := e.SetFaults(ctx, ref("f"), "", FaultSpec{ServiceUnavailableRate: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("f"), Records: manyRecords(3, 10)})
	wantCode(t, err, ErrServiceUnavailable)
	_, err = e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "f", "shardId-000000000000", IteratorTrimHorizon, "")})
	wantCode(t, err, ErrServiceUnavailable)

	var snap MetricsSnapshot
	_ = e.Metrics(ctx, ref("f"), 5, &snap)
	var injected uint32
	for _, sh := range snap.Shards {
		for _, v := range sh.Series[InjectedFaults] {
			injected += v
		}
	}
	if injected < 20+uint32(out.FailedRecordCount)+2 {
		t.Fatalf("InjectedFaults counted %d", injected)
	}
}

func TestFaultLatencyAndValidation(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "f", 1)
	if err := e.SetFaults(ctx, ref("f"), "shardId-000000000000", FaultSpec{Latency: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	mustPut(t, e, "f", "k", "x")
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("added latency was not applied")
	}
	wantCode(t, e.SetFaults(ctx, ref("f"), "", FaultSpec{ThrottleRate: 1.5}), ErrInvalidArgument)
	wantCode(t, e.SetFaults(ctx, ref("f"), "shardId-000000000042", FaultSpec{ThrottleRate: 0.5}), ErrResourceNotFound)
	if err := e.SetFaults(ctx, ref("f"), "shardId-000000000000", FaultSpec{}); err != nil {
		t.Fatal(err)
	}
	if listed, _ := e.Faults(ctx, ref("f")); len(listed) != 0 {
		t.Fatalf("after clearing, Faults = %+v", listed)
	}
}
