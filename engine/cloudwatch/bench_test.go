package cloudwatch

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// BenchmarkGetMetricData500Shards is the figure: GetMetricData of one metric (IncomingRecords of a stream
// of 500 shards, summed over them) for the last hour at 1-second periods — 3,600 values from 1.8 million shard
// seconds. The hour is filled through the engine's own clock: a record into every shard every 10 simulated
// seconds, so every minute chunk of every shard exists.
func BenchmarkGetMetricData500Shards(b *testing.B) {
	var mu sync.Mutex
	clock := time.Now().Add(-time.Hour)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	eng, err := engine.Open(engine.Options{InMemory: true, Clock: now})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	shards := 500
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "wide", ShardCount: &shards}); err != nil {
		b.Fatal(err)
	}
	for {
		if d, err := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "wide"}); err == nil && d.StreamStatus == "ACTIVE" {
			break
		}
		mu.Lock()
		clock = clock.Add(time.Second)
		mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	// One record per shard: an explicit hash key inside each shard's range (2^128 / 500 wide).
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(int64(shards)))
	var recs []engine.PutRecordsEntry
	for i := range shards {
		h := new(big.Int).Add(new(big.Int).Mul(step, big.NewInt(int64(i))), big.NewInt(1))
		recs = append(recs, engine.PutRecordsEntry{Data: []byte("x"), PartitionKey: "k", ExplicitHashKey: h.String()})
	}
	start := now()
	for t := 0; t < 3600; t += 10 {
		mu.Lock()
		clock = start.Add(time.Duration(t) * time.Second)
		mu.Unlock()
		if _, err := eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: "wide"}, Records: recs}); err != nil {
			b.Fatal(err)
		}
	}
	mu.Lock()
	clock = start.Add(3600 * time.Second)
	mu.Unlock()
	s, err := Open(ctx, eng, now)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	end := now()
	in := DataInput{StartTime: end.Add(-time.Hour), EndTime: end, Queries: []Query{{ID: "m1", MetricStat: &MetricStat{Period: 1, Stat: "Sum",
		Metric: Metric{Namespace: NamespaceKinesis, MetricName: "IncomingRecords", Dimensions: []Dimension{{"StreamName", "wide"}}}}}}}
	out, err := s.GetMetricData(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for _, v := range out.Results[0].Values {
		total += v
	}
	// The in-memory hour is 60 minute chunks: an hour that starts mid-minute loses that minute's first seconds.
	if total < float64(shards*350) || total > float64(shards*360) {
		b.Fatalf("the hour sums to %v records, want about %d", total, shards*360)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.GetMetricData(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
