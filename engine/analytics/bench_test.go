package analytics

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// BenchmarkGroupByWindowQuery is the figure: 300-byte JSON records read from a 4-shard stream by a query
// with a filter, a group by over 10,000 keys, a 10-second tumbling window, and count + avg + p95. One op is one
// record; records/s is the wall time from the start to the last record aggregated. live-heap-MiB is the heap
// after a collection at the end, with the windows still open: it grows with windows × groups, not with records.
func BenchmarkGroupByWindowQuery(b *testing.B) {
	eng, err := engine.Open(engine.Options{InMemory: true, LimitsOff: true})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	shards := 4
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &shards}); err != nil {
		b.Fatal(err)
	}
	n := max(b.N, 100_000)
	pad := strings.Repeat("x", 160)
	var entries []engine.PutRecordsEntry
	for i := range n {
		user := fmt.Sprintf("user-%05d", i%10_000)
		data := fmt.Appendf(nil, `{"user":%q,"path":"/api/v1/items/%d","status":%d,"latency_ms":%d,"region":"eu-west-1","pad":%q}`,
			user, i%50, 200+(i%7)*50, 5+i%400, pad[:160-len(user)])
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: user, Data: data})
		if len(entries) == 500 || i == n-1 {
			if _, err := eng.PutRecords(bg, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: "events"}, Records: entries}); err != nil {
				b.Fatal(err)
			}
			entries = nil
		}
	}
	spec := AppSpec{Name: "bench", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{{Name: "q", Text: `from events where data.status < 500 group by data.user
window tumbling 10s select count() as n, avg(data.latency_ms) as avg_ms, p95(data.latency_ms) as p95`}}}
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	a, err := StartApp(eng, spec, AppState{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for {
		qs, _ := a.Status()
		if qs[0].Stats.Records >= uint64(n) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.GC() // what stays is the open windows' state
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	qs, _ := a.Status()
	a.Stop()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-heap-MiB")
	b.ReportMetric(float64(qs[0].Stats.Groups), "groups")
}
