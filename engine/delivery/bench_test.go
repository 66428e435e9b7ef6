package delivery

import (
	"fmt"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// BenchmarkStreamTransformGzipFolder is the figure: 500-byte JSON records read from a 4-shard stream,
// mapped by an expr-lang transform, gzipped and written as objects to a folder. One op is one record delivered;
// records/s is reported from the wall time from Start to the last record written.
func BenchmarkStreamTransformGzipFolder(b *testing.B) {
	interval := 1
	benchDelivery(b, Spec{Name: "bench", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Transform, Expr: `{"user": data.user, "path": data.path, "status": data.status, "ms": data.latency_ms}`},
			{Kind: Newline}, {Kind: Compress, Codec: "gzip"}},
		Buffer:       Buffer{SizeMiB: 8, IntervalSeconds: &interval},
		Destinations: []Destination{{Kind: Folder, Path: b.TempDir()}}})
}

// BenchmarkStreamToParquetFolder: the same records converted to Parquet rows of a given schema, one Parquet file
// (Snappy pages) an object.
func BenchmarkStreamToParquetFolder(b *testing.B) {
	interval := 1
	benchDelivery(b, Spec{Name: "bench", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Convert, Format: "parquet", Schema: []Column{{"user", ColumnString},
			{"path", ColumnString}, {"status", ColumnInt}, {"latency_ms", ColumnInt}, {"pad", ColumnString}}}},
		Buffer:       Buffer{SizeMiB: 64, IntervalSeconds: &interval},
		Destinations: []Destination{{Kind: Folder, Path: b.TempDir()}}})
}

func benchDelivery(b *testing.B, spec Spec) {
	eng, err := engine.Open(engine.Options{InMemory: true, LimitsOff: true})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	shards := 4
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &shards}); err != nil {
		b.Fatal(err)
	}
	n := max(b.N, 400_000) // enough for the steady state: start-up (leases, the first poll) is a fixed second or so
	pad := make([]byte, 400)
	for i := range pad {
		pad[i] = 'x'
	}
	var entries []engine.PutRecordsEntry
	for i := range n {
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: fmt.Sprint("user-", i%1000),
			Data: fmt.Appendf(nil, `{"user":"user-%04d","path":"/p/%d","status":%d,"latency_ms":%d,"pad":"%s"}`,
				i%1000, i%50, 200+i%5*100, i%300, pad[:400-i%10])})
		if len(entries) == 500 || i == n-1 {
			if _, err := eng.PutRecords(bg, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: "events"}, Records: entries}); err != nil {
				b.Fatal(err)
			}
			entries = nil
		}
	}
	b.ResetTimer()
	start := time.Now()
	d, err := Start(eng, spec)
	if err != nil {
		b.Fatal(err)
	}
	for d.Metrics().Delivered < uint64(n) {
		if m := d.Metrics(); m.ProcessingFailed+m.DeliveryFailed > 0 {
			b.Fatalf("failures: %+v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	d.Stop(bg)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(n), "records")
}
