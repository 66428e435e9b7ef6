package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// oneShard creates a 1-shard stream with records "0".."n-1" and returns the shard id and their sequence numbers.
func oneShard(t *testing.T, e *Engine, clock *fakeClock, n int) (string, []string) {
	t.Helper()
	mustCreate(t, e, "s", 1)
	var seqs []string
	var shardID string
	for i := range n {
		out := mustPut(t, e, "s", "k", string(rune('0'+i)))
		seqs, shardID = append(seqs, out.SequenceNumber), out.ShardId
		if clock != nil {
			clock.Add(time.Second)
		}
	}
	return shardID, seqs
}

func TestIteratorTypes(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	start := clock.Now()
	sh, seqs := oneShard(t, e, clock, 5)
	cases := []struct {
		typ  string
		seq  string
		ts   *time.Time
		want string
	}{
		{IteratorTrimHorizon, "", nil, "01234"},
		{IteratorLatest, "", nil, ""},
		{IteratorAtSequence, seqs[2], nil, "234"},
		{IteratorAfterSeq, seqs[2], nil, "34"},
		{IteratorAfterSeq, seqs[4], nil, ""},
		{IteratorAtTimestamp, "", ptr(start.Add(3 * time.Second)), "34"},
		{IteratorAtTimestamp, "", ptr(start.Add(-time.Hour)), "01234"},
		{IteratorAtTimestamp, "", ptr(clock.Now()), ""},
	}
	for _, c := range cases {
		it, err := e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref("s"), ShardId: sh,
			ShardIteratorType: c.typ, StartingSequenceNumber: c.seq, Timestamp: c.ts})
		if err != nil {
			t.Fatalf("%s %s: %v", c.typ, c.seq, err)
		}
		data, _ := readAll(t, e, it)
		if got := strings.Join(data, ""); got != c.want {
			t.Errorf("%s %v: read %q, want %q", c.typ, c.ts, got, c.want)
		}
	}
	// A time still to come is refused, as Kinesis does, with both times in milliseconds.
	future := clock.Now().Add(time.Hour)
	_, err := e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref("s"), ShardId: sh,
		ShardIteratorType: IteratorAtTimestamp, Timestamp: &future})
	ke := wantCode(t, err, ErrInvalidArgument)
	if want := fmt.Sprintf("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "+
		"timestampInMillis: %d, currentTimestampInMillis: %d", future.UnixMilli(), clock.Now().UnixMilli()); ke.Message != want {
		t.Errorf("message %q, want %q", ke.Message, want)
	}
}

func TestLatestSeesOnlyLaterRecords(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	sh, _ := oneShard(t, e, nil, 3)
	it := mustIterator(t, e, "s", sh, IteratorLatest, "")
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if err != nil || len(out.Records) != 0 || out.NextShardIterator == "" || out.MillisBehindLatest != 0 {
		t.Fatalf("LATEST on an idle shard: %+v, %v", out, err)
	}
	mustPut(t, e, "s", "k", "new")
	data, _ := readAll(t, e, out.NextShardIterator)
	if strings.Join(data, ",") != "new" {
		t.Fatalf("LATEST then read %v", data)
	}
}

func TestGetShardIteratorErrors(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "two", 2)
	a := mustPut(t, e, "two", "a", "x")
	var otherShard string
	for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
		if sh != a.ShardId {
			otherShard = sh
		}
	}
	cases := []struct {
		name string
		in   GetShardIteratorInput
		code string
		msg  string
	}{
		{"seq of another shard", GetShardIteratorInput{ShardId: otherShard, ShardIteratorType: IteratorAtSequence,
			StartingSequenceNumber: a.SequenceNumber}, ErrInvalidArgument,
			"Invalid StartingSequenceNumber. It encodes " + a.ShardId + ", while it was used in a call to a shard with " + otherShard},
		{"foreign seq", GetShardIteratorInput{ShardId: a.ShardId, ShardIteratorType: IteratorAtSequence,
			StartingSequenceNumber: "12345"}, ErrInvalidArgument, "is invalid because it did not come from this stream"},
		{"seq with TRIM_HORIZON", GetShardIteratorInput{ShardId: a.ShardId, ShardIteratorType: IteratorTrimHorizon,
			StartingSequenceNumber: a.SequenceNumber}, ErrInvalidArgument, "Request specified TRIM_HORIZON and also a StartingSequenceNumber."},
		{"AT_SEQUENCE_NUMBER without seq", GetShardIteratorInput{ShardId: a.ShardId, ShardIteratorType: IteratorAtSequence},
			ErrInvalidArgument, "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."},
		{"AT_TIMESTAMP without timestamp", GetShardIteratorInput{ShardId: a.ShardId, ShardIteratorType: IteratorAtTimestamp},
			ErrInvalidArgument, "Must specify timestampInMillis parameter"},
		{"unknown shard", GetShardIteratorInput{ShardId: "shardId-000000000009", ShardIteratorType: IteratorLatest},
			ErrResourceNotFound, "Shard shardId-000000000009 in stream two under account 000000000000 does not exist"},
		{"bad type", GetShardIteratorInput{ShardId: a.ShardId, ShardIteratorType: "OLDEST"}, ErrValidation,
			"Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"},
	}
	for _, c := range cases {
		c.in.StreamName = "two"
		_, err := e.GetShardIterator(ctx, c.in)
		if ke := wantCode(t, err, c.code); !strings.Contains(ke.Message, c.msg) {
			t.Errorf("%s: message %q lacks %q", c.name, ke.Message, c.msg)
		}
	}
}

func TestIteratorsExpireAfterFiveMinutes(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	sh, _ := oneShard(t, e, nil, 1)
	it := mustIterator(t, e, "s", sh, IteratorTrimHorizon, "")
	clock.Add(4*time.Minute + 59*time.Second)
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if err != nil {
		t.Fatalf("an iterator 4m59s old: %v", err)
	}
	clock.Add(5*time.Minute + time.Second)
	_, err = e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if ke := wantCode(t, err, ErrExpiredIterator); !strings.Contains(ke.Message, "tolerated delay of 300000 milliseconds") {
		t.Fatalf("message = %q", ke.Message)
	}
	if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: out.NextShardIterator}); err == nil {
		t.Fatal("the next iterator, 5m01s old, was accepted")
	}
}

func TestInvalidIterators(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	sh, _ := oneShard(t, e, nil, 1)
	it := mustIterator(t, e, "s", sh, IteratorTrimHorizon, "")
	for _, bad := range []string{"nonsense", it[:len(it)-2] + "AA", strings.Repeat("A", 40)} {
		_, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: bad})
		if ke := wantCode(t, err, ErrInvalidArgument); ke.Message != "Invalid ShardIterator." {
			t.Errorf("%q: message %q", bad, ke.Message)
		}
	}
	_, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it, Limit: ptr(10001)})
	wantCode(t, err, ErrValidation)
	other := openTest(t, Options{InMemory: true})
	_, err = other.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	wantCode(t, err, ErrInvalidArgument)
}

func TestGetRecordsLimits(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	for range 3 {
		if _, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(4, 1<<20-16)}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: manyRecords(500, 10)}); err != nil {
			t.Fatal(err)
		}
	}
	it := mustIterator(t, e, "s", "shardId-000000000000", IteratorTrimHorizon, "")
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if err != nil || len(out.Records) != 10 {
		t.Fatalf("10 MiB cap: got %d records, %v", len(out.Records), err)
	}
	if out.MillisBehindLatest < 0 {
		t.Fatalf("MillisBehindLatest = %d", out.MillisBehindLatest)
	}
	out, _ = e.GetRecords(ctx, GetRecordsInput{ShardIterator: out.NextShardIterator, Limit: ptr(3)})
	if len(out.Records) != 3 {
		t.Fatalf("Limit 3 returned %d", len(out.Records))
	}
	data, last := readAll(t, e, out.NextShardIterator)
	if len(data) != 999 || last.MillisBehindLatest != 0 {
		t.Fatalf("rest: %d records, MillisBehindLatest %d", len(data), last.MillisBehindLatest)
	}
}

func TestMillisBehindLatest(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	sh, _ := oneShard(t, e, clock, 5)
	clock.Add(10 * time.Second)
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "s", sh, IteratorTrimHorizon, ""),
		Limit: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	// Records arrived a second apart from t0; now is t0+15 s, so the second record is 14 s old.
	if out.MillisBehindLatest != 14_000 {
		t.Fatalf("MillisBehindLatest = %d, want 14000", out.MillisBehindLatest)
	}
}

func TestChangeFeedWakesReaders(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	wake, err := e.WaitForRecords(ctx, ref("s"), "shardId-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
		t.Fatal("woken before any put")
	default:
	}
	streamWake, _ := e.WaitForStream(ctx, ref("s"))
	mustPut(t, e, "s", "k", "x")
	for _, ch := range []<-chan struct{}{wake, streamWake} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("a committed put did not wake the waiting reader")
		}
	}
	_, err = e.WaitForRecords(ctx, ref("s"), "shardId-000000000042")
	wantCode(t, err, ErrResourceNotFound)
}
