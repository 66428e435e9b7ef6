package kinesisapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// discard is a ResponseWriter that keeps the status and throws the body away, so the benchmarks below measure the
// server's work on a call and not a recorder's copying.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

func benchServer(b *testing.B) (*engine.Engine, *Server) {
	eng, err := engine.Open(engine.Options{InMemory: true, LimitsOff: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	n := 4
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "bench", ShardCount: &n}); err != nil {
		b.Fatal(err)
	}
	return eng, New(eng, Options{})
}

func call(b *testing.B, s *Server, action string, body []byte) *discard {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", targetPrefix+action)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := &discard{h: http.Header{}, status: 200}
	s.ServeHTTP(w, r)
	if w.status != 200 {
		b.Fatalf("%s: status %d", action, w.status)
	}
	return w
}

// BenchmarkServePutRecords is the server's share of bench-api's ingest without the network: a 500 × 1 KiB
// PutRecords decoded, stored and answered, per record.
func BenchmarkServePutRecords(b *testing.B) {
	_, s := benchServer(b)
	body := putRecordsBody(b)
	b.ReportAllocs()
	b.SetParallelism(4) // producers in flight, so commits group as they do under bench-api's 8
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, s, "PutRecords", body)
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*500), "cpu-ns/record")
}

// BenchmarkServeGetRecords reads 10,000 records of 1 KiB a call, the read-back's page size.
func BenchmarkServeGetRecords(b *testing.B) {
	eng, s := benchServer(b)
	body := putRecordsBody(b)
	for range 120 { // ~15,000 records a shard: every call below reads a full page
		call(b, s, "PutRecords", body)
	}
	shards, err := eng.ListShards(ctx, engine.ListShardsInput{StreamRef: engine.StreamRef{StreamName: "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	iter := func() []byte {
		it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{
			StreamRef: engine.StreamRef{StreamName: "bench"}, ShardId: shards.Shards[0].ShardId,
			ShardIteratorType: engine.IteratorTrimHorizon})
		if err != nil {
			b.Fatal(err)
		}
		return []byte(fmt.Sprintf(`{"ShardIterator":%q,"Limit":10000}`, it))
	}
	req := iter()
	b.ReportAllocs()
	records := 0
	cpu := cpuTime()
	for b.Loop() {
		w := call(b, s, "GetRecords", req)
		if w.n < 1<<20 {
			b.Fatalf("answer of %d bytes", w.n)
		}
		records += 10000
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(records), "cpu-ns/record")
}

// cpuTime is the process's user and system CPU time: the figure bench-api reads from /proc for its server, steadier
// than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkServePutRecord is one producer's single 1 KiB put after another: the latency the singles phase times.
func BenchmarkServePutRecord(b *testing.B) {
	_, s := benchServer(b)
	body := putRecordsBody(b)
	for range 40 { // a tree of some depth, as after bench-api's ingest
		call(b, s, "PutRecords", body)
	}
	one := []byte(`{"StreamName":"bench","PartitionKey":"user-000001","Data":"` +
		string(bytes.Repeat([]byte("QUJD"), 1024/3)) + `"}`)
	for b.Loop() {
		call(b, s, "PutRecord", one)
	}
}
