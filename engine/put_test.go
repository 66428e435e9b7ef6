package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine/storage"

	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/seqnum"
)

func TestPutRecordsValidation(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 2)
	long := strings.Repeat("k", 257)
	cases := []struct {
		name    string
		records []PutRecordsEntry
		code    string
		msg     string
	}{
		{"missing records", nil, ErrValidation,
			"1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null"},
		{"empty records", []PutRecordsEntry{}, ErrValidation, "Member must have length greater than or equal to 1"},
		{"too many records", make([]PutRecordsEntry, 501), ErrValidation,
			"at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"},
		{"key too long", []PutRecordsEntry{{Data: []byte("x"), PartitionKey: "ok"}, {Data: []byte("x"), PartitionKey: long}},
			ErrValidation, "Value '" + long + "' at 'records.2.member.partitionKey' failed to satisfy constraint: " +
				"Member must have length less than or equal to 256"},
		{"missing key", []PutRecordsEntry{{Data: []byte("x")}}, ErrValidation,
			"Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null"},
		{"missing data", []PutRecordsEntry{{PartitionKey: "k"}}, ErrValidation,
			"Value null at 'records.1.member.data' failed to satisfy constraint: Member must not be null"},
		{"bad explicit hash key", []PutRecordsEntry{{Data: []byte("x"), PartitionKey: "k", ExplicitHashKey: "01"}},
			ErrValidation, "at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy " +
				"regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"explicit hash key too big", []PutRecordsEntry{{Data: []byte("x"), PartitionKey: "k",
			ExplicitHashKey: "340282366920938463463374607431768211456"}}, ErrInvalidArgument,
			"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]."},
		{"record over MaxRecordSize", []PutRecordsEntry{{Data: make([]byte, 1<<20), PartitionKey: "key"}},
			ErrValidation, "Value 'java.nio.HeapByteBuffer[pos=0 lim=1048576 cap=1048576]' at 'records.1.member.data' " +
				"failed to satisfy constraint: Member must have length less than or equal to 1048573"},
		{"call over 10 MiB", manyRecords(11, 1<<20-10), ErrInvalidArgument, "Records size exceeds the limit of 10485760 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: c.records})
			ke := wantCode(t, err, c.code)
			if !strings.Contains(ke.Message, c.msg) {
				t.Fatalf("message\n%q\ndoes not contain\n%q", ke.Message, c.msg)
			}
			assertEmpty(t, e, "s")
		})
	}
}

func manyRecords(n, size int) []PutRecordsEntry {
	out := make([]PutRecordsEntry, n)
	for i := range out {
		out[i] = PutRecordsEntry{Data: make([]byte, size), PartitionKey: keyFor(i)}
	}
	return out
}

// assertEmpty fails if any shard of the stream holds a record: a rejected call must change nothing.
func assertEmpty(t *testing.T, e *Engine, stream string) {
	t.Helper()
	shards, _ := e.Shards(ctx, ref(stream))
	for _, sh := range shards {
		if data, _ := readAll(t, e, mustIterator(t, e, stream, sh.ShardId, IteratorTrimHorizon, "")); len(data) != 0 {
			t.Fatalf("shard %s holds %d records after a rejected call", sh.ShardId, len(data))
		}
	}
}

func TestPutRecordsRoutesByHashKey(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 4)
	shards, _ := e.Shards(ctx, ref("s"))
	var entries []PutRecordsEntry
	for i := range 200 {
		entries = append(entries, PutRecordsEntry{Data: []byte(keyFor(i)), PartitionKey: keyFor(i)})
	}
	entries = append(entries, PutRecordsEntry{Data: []byte("explicit"), PartitionKey: "any",
		ExplicitHashKey: shards[3].Range.Start.String()})
	out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: entries})
	if err != nil || out.FailedRecordCount != 0 || len(out.Records) != len(entries) {
		t.Fatalf("PutRecords = %+v, %v", out, err)
	}
	for i, r := range out.Records {
		h := hashkey.FromPartitionKey(entries[i].PartitionKey)
		if entries[i].ExplicitHashKey != "" {
			h = hashkey.MustParse(entries[i].ExplicitHashKey)
		}
		var want string
		for _, sh := range shards {
			if sh.Range.Contains(h) {
				want = sh.ShardId
			}
		}
		if r.ShardId != want {
			t.Fatalf("record %d (key %s) went to %s, want %s", i, entries[i].PartitionKey, r.ShardId, want)
		}
		_, idx, err := seqnum.Parse(r.SequenceNumber)
		if err != nil || shardID(idx) != r.ShardId {
			t.Fatalf("record %d: sequence number %s does not name shard %s", i, r.SequenceNumber, r.ShardId)
		}
	}
}

func TestSequenceNumbersIncreaseAndAreUnique(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 2)
	seen := map[string]bool{}
	lastByShard := map[string]string{}
	for i := range 300 {
		out := mustPut(t, e, "s", keyFor(i%7), "x")
		if seen[out.SequenceNumber] {
			t.Fatalf("sequence number %s issued twice", out.SequenceNumber)
		}
		seen[out.SequenceNumber] = true
		if prev := lastByShard[out.ShardId]; prev != "" && !(prev < out.SequenceNumber) {
			t.Fatalf("shard %s: %s after %s", out.ShardId, out.SequenceNumber, prev)
		}
		lastByShard[out.ShardId] = out.SequenceNumber
		if strings.Trim(out.SequenceNumber, "0123456789") != "" {
			t.Fatalf("sequence number %q is not decimal", out.SequenceNumber)
		}
	}
}

func TestSequenceNumberForOrdering(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 2)
	prev := mustPut(t, e, "s", "a", "1").SequenceNumber
	for i := range 20 { // chain each put to the previous one, across both shards
		out, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: keyFor(i), Data: []byte("x"),
			SequenceNumberForOrdering: prev})
		if err != nil {
			t.Fatal(err)
		}
		if !(out.SequenceNumber > prev) {
			t.Fatalf("put after SequenceNumberForOrdering %s got %s", prev, out.SequenceNumber)
		}
		prev = out.SequenceNumber
	}
	// A number the stream never issued (here: near the counter's maximum) is refused, so it can neither push the
	// counter into the future nor wrap it.
	future := seqnum.Format(^uint64(0)-1, 0)
	_, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: []byte("2"),
		SequenceNumberForOrdering: future})
	wantCode(t, err, ErrInvalidArgument)
	_, err = e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref("s"), ShardId: "shardId-000000000000",
		ShardIteratorType: IteratorAfterSeq, StartingSequenceNumber: future})
	wantCode(t, err, ErrInvalidArgument)
	_, err = e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: []byte("3"),
		SequenceNumberForOrdering: "9" + future})
	wantCode(t, err, ErrInvalidArgument)
	_, err = e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: []byte("3"),
		SequenceNumberForOrdering: "12x"})
	wantCode(t, err, ErrValidation)
}

func TestRecordsReadBackExactly(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	payload := []byte{0, 1, 2, 255, 254, 'x'}
	out, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "ключ", Data: payload})
	if err != nil {
		t.Fatal(err)
	}
	empty := mustPut(t, e, "s", "k", "")
	res, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "s", out.ShardId, IteratorTrimHorizon, "")})
	if err != nil || len(res.Records) != 2 {
		t.Fatalf("GetRecords = %+v, %v", res, err)
	}
	r := res.Records[0]
	if !bytes.Equal(r.Data, payload) || r.PartitionKey != "ключ" || r.SequenceNumber != out.SequenceNumber ||
		r.ApproximateArrivalTimestamp.IsZero() {
		t.Fatalf("record read back as %+v", r)
	}
	if res.Records[1].SequenceNumber != empty.SequenceNumber || len(res.Records[1].Data) != 0 {
		t.Fatalf("empty record read back as %+v", res.Records[1])
	}
}

func TestMaxRecordSizeIsPerStream(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	big := make([]byte, 2<<20)
	_, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: big})
	wantCode(t, err, ErrValidation)
	if err := e.UpdateMaxRecordSize(ctx, ref("s"), 3072); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: big}); err != nil {
		t.Fatalf("a 2 MiB record on a 3 MiB stream: %v", err)
	}
}

func TestPutToMissingStream(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	_, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("nope"), Records: manyRecords(1, 1)})
	ke := wantCode(t, err, ErrResourceNotFound)
	if ke.Message != "Stream nope under account 000000000000 not found." {
		t.Fatalf("message = %q", ke.Message)
	}
}

// FuzzPutRecordsValidation throws arbitrary members at PutRecords: it must answer with a result or a Kinesis error,
// never panic, and a call that fails must store nothing.
func FuzzPutRecordsValidation(f *testing.F) {
	f.Add("s", "key", []byte("data"), "", 1)
	f.Add("s", "", []byte{}, "0", 3)
	f.Add("bad name", strings.Repeat("é", 257), []byte(nil), "340282366920938463463374607431768211456", 0)
	f.Add("s", "k", make([]byte, 1<<20), "01", 501)
	e := openTest(f, Options{InMemory: true})
	mustCreate(f, e, "s", 2)
	f.Fuzz(func(t *testing.T, stream, key string, data []byte, explicit string, n int) {
		n = n % 600
		if n < 0 {
			n = -n
		}
		records := make([]PutRecordsEntry, n)
		for i := range records {
			records[i] = PutRecordsEntry{Data: data, PartitionKey: key, ExplicitHashKey: explicit}
		}
		if n == 0 && len(key)%2 == 1 {
			records = nil
		}
		before := countRecords(e, "s")
		out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref(stream), Records: records})
		after := countRecords(e, "s")
		if err != nil {
			if ErrorCode(err) == "" {
				t.Fatalf("non-Kinesis error %v", err)
			}
			if after != before {
				t.Fatalf("failed call stored %d records", after-before)
			}
			return
		}
		if len(out.Records) != n || after-before != n-out.FailedRecordCount {
			t.Fatalf("%d records in, %d results, %d stored, %d failed", n, len(out.Records), after-before,
				out.FailedRecordCount)
		}
	})
}

func countRecords(e *Engine, stream string) int {
	s, err := e.lookup(ctx, ref(stream))
	if err != nil {
		return 0
	}
	n := 0
	_ = e.db.View(func(tx *storage.ReadTx) error {
		for _, sh := range s.shards {
			n += tx.CountRecords(s.id, sh.index)
		}
		return nil
	})
	return n
}
