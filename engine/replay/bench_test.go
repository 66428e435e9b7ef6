package replay

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/shardlab/shardlab/engine"
)

// BenchmarkReplayLogLines replays 200-byte log lines as fast as possible into a 4-shard stream with limits off: the
// issue's target is ≥ 100,000 records/s. One op is one record.
func BenchmarkReplayLogLines(b *testing.B) {
	eng, err := engine.Open(engine.Options{InMemory: true, LimitsOff: true})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	n := 4
	eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "logs", ShardCount: &n})
	var in bytes.Buffer
	for i := range b.N {
		line := fmt.Appendf(nil, "10.0.%d.%d - - [26/Nov/2026:09:%02d:%02d +0000] \"GET /api/items/%d HTTP/1.1\" 200 %d", i>>8&255, i&255, i/60%60, i%60, i, i%9000)
		for len(line) < 199 {
			line = append(line, ' ')
		}
		in.Write(line[:199])
		in.WriteByte('\n')
	}
	b.SetBytes(200)
	b.ResetTimer()
	rd, err := NewReader(&in, ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rp, _ := NewReplayer(eng, Options{Stream: "logs"})
	if err := rp.Run(context.Background(), rd); err != nil {
		b.Fatal(err)
	}
	if rp.P.Put.Load() != int64(b.N) {
		b.Fatalf("put %d of %d", rp.P.Put.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
