package engine

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
)

// TestMetricsOutliveARestart: what a shard counted is there again after the engine is closed and reopened — the
// last hour second by second (the heatmap's data), and as 1-minute rollups once it is older than an hour.
func TestMetricsOutliveARestart(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "shardlab.db")
	e := openTest(t, Options{Path: path, Clock: clock.Now})
	mustCreate(t, e, "s", 1)
	for range 7 {
		mustPut(t, e, "s", "k", "data")
	}
	putAt := clock.Now()
	clock.Add(2 * time.Second)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openTest(t, Options{Path: path, Clock: clock.Now})
	var snap MetricsSnapshot
	if err := e.Metrics(context.Background(), ref("s"), 60, &snap); err != nil {
		t.Fatal(err)
	}
	var got uint32
	for _, v := range snap.Shards[0].Series[IncomingRecords] {
		got += v
	}
	if got != 7 {
		t.Errorf("after a restart the last minute holds %d incoming records, want 7", got)
	}
	if !snap.Started.Before(putAt) && !snap.Started.Equal(putAt.Truncate(time.Minute)) {
		t.Errorf("Started %v: the restored history begins before the put at %v", snap.Started, putAt)
	}
	// Two hours on, the second-by-second hour has passed; the minute rollup is read from the file.
	clock.Add(2 * time.Hour)
	mins, err := e.ShardMinutes(context.Background(), ref("s"), "shardId-000000000000", IncomingRecords, putAt.Add(-time.Hour), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(mins) != 1 || mins[0].Sum != 7 || mins[0].Max != 7 || !mins[0].Minute.Equal(putAt.Truncate(time.Minute)) {
		t.Errorf("minute rollups: %+v, want one minute of 7 records", mins)
	}
}

// TestHistoryOfADeletedStreamIsDropped: trimming forgets the series of streams that are gone.
func TestHistoryOfADeletedStreamIsDropped(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{Path: filepath.Join(t.TempDir(), "shardlab.db"), Clock: clock.Now})
	mustCreate(t, e, "s", 1)
	mustPut(t, e, "s", "k", "data")
	if err := e.FlushHistory(); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteStream(context.Background(), DeleteStreamInput{StreamRef: ref("s")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.allStreams()) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.trimHistory(clock.Now()); err != nil {
		t.Fatal(err)
	}
	var left []string
	e.db.View(func(tx *storage.ReadTx) error { left = tx.MetricSeries(historyPrefix); return nil })
	if len(left) != 0 {
		t.Errorf("series left after the stream went: %v", left)
	}
}

// BenchmarkPutRecordsHistory is what keeping metric history costs ingest: PutRecords of 500 × 1 KiB into 4 shards
// of a file-backed engine, with the history flusher writing every HistoryFlushInterval (on) and without it (off).
// Run it for longer than the interval (-benchtime 20s) so the flushes are in the figure.
func BenchmarkPutRecordsHistory(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			e := openTest(b, Options{Path: filepath.Join(b.TempDir(), "shardlab.db"), NoMetricHistory: mode == "off"})
			mustCreate(b, e, "s", 4)
			recs := make([]PutRecordsEntry, 500)
			data := make([]byte, 1024)
			for i := range recs {
				recs[i] = PutRecordsEntry{Data: data, PartitionKey: "k" + strconv.Itoa(i)}
			}
			b.SetBytes(500 * 1024)
			b.ResetTimer()
			for range b.N {
				if _, err := e.PutRecords(context.Background(), PutRecordsInput{StreamRef: ref("s"), Records: recs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
