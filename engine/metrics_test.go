package engine

import (
	"fmt"
	"testing"
	"time"
)

func TestMetricsSeriesAndTopKeys(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	mustCreate(t, e, "s", 1)
	wantBytes := 0
	for i := range 100 {
		key := "hot"
		if i%4 == 0 {
			key = fmt.Sprintf("cold-%d", i)
		}
		mustPut(t, e, "s", key, "0123456789")
		wantBytes += len(key) + 10
	}
	clock.Add(time.Second)
	mustPut(t, e, "s", "hot", "x")
	sh := "shardId-000000000000"
	it := mustIterator(t, e, "s", sh, IteratorTrimHorizon, "")
	readAll(t, e, it)

	var snap MetricsSnapshot
	if err := e.Metrics(ctx, ref("s"), 60, &snap); err != nil {
		t.Fatal(err)
	}
	m := snap.Shards[0]
	if len(m.Series[IncomingRecords]) != 60 || m.ShardId != sh || !m.Open {
		t.Fatalf("snapshot shape: %d seconds, shard %s", len(m.Series[IncomingRecords]), m.ShardId)
	}
	last, prev := len(m.Series[IncomingRecords])-1, len(m.Series[IncomingRecords])-2
	if m.Series[IncomingRecords][prev] != 100 || m.Series[IncomingRecords][last] != 1 {
		t.Fatalf("incoming records per second: …%v", m.Series[IncomingRecords][prev:])
	}
	if got := m.Series[IncomingBytes][prev]; got != uint32(wantBytes) {
		t.Fatalf("incoming bytes = %d, want %d", got, wantBytes)
	}
	if m.Series[OutgoingRecords][last] != 101 {
		t.Fatalf("outgoing records = %d", m.Series[OutgoingRecords][last])
	}
	if len(m.TopKeys) == 0 || m.TopKeys[0].Key != "hot" || m.TopKeys[0].Share < 0.7 || m.TopKeys[0].Share > 0.8 {
		t.Fatalf("top keys %+v, want hot at about 76 %%", m.TopKeys)
	}

	// Reusing the snapshot must not grow it.
	if err := e.Metrics(ctx, ref("s"), 60, &snap); err != nil || len(snap.Shards) != 1 {
		t.Fatalf("second snapshot: %v", err)
	}
	clock.Add(2 * time.Hour)
	_ = e.Metrics(ctx, ref("s"), 3600, &snap)
	for k := range NumMetrics {
		for _, v := range snap.Shards[0].Series[k] {
			if v != 0 {
				t.Fatalf("%v still shows traffic two hours later", k)
			}
		}
	}
}

func BenchmarkMetricsSnapshot1000Shards(b *testing.B) {
	e := openTest(b, Options{InMemory: true, ShardLimit: 2000})
	mustCreate(b, e, "s", 1000)
	var records []PutRecordsEntry
	for i := range 500 {
		records = append(records, PutRecordsEntry{Data: []byte("x"), PartitionKey: keyFor(i)})
	}
	for range 10 {
		if _, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: records}); err != nil {
			b.Fatal(err)
		}
	}
	var snap MetricsSnapshot
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := e.Metrics(ctx, ref("s"), 300, &snap); err != nil {
			b.Fatal(err)
		}
	}
}
