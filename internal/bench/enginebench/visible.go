package enginebench

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/bench"
)

// visibleResult is what the put-to-visible phase measured.
type visibleResult struct {
	records    int64
	elapsed    time.Duration
	perTick    int
	tick       time.Duration
	latency    bench.Latency // put start → a reader holds the record
	putLatency bench.Latency // the paced producer's own PutRecords calls
}

// drainTimeout is how long readers may take to catch up after the last put before missing records count as lost.
const drainTimeout = 10 * time.Second

// runVisiblePhase puts at a steady cfg.visibleRate on a fresh stream while one reader per shard follows the change
// feed, and measures how long each record takes from the start of its put until a reader holds it.
func runVisiblePhase(ctx context.Context, eng *engine.Engine, cfg benchConfig) (visibleResult, error) {
	ref, shards, err := createBenchStream(ctx, eng, "bench-visible", cfg.shards)
	if err != nil {
		return visibleResult{}, err
	}
	readCtx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	counts := make([]atomic.Int64, len(shards))
	lats := make([][]time.Duration, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, sh := range shards {
		it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: ref, ShardId: sh.ShardId,
			ShardIteratorType: engine.IteratorTrimHorizon})
		if err != nil {
			return visibleResult{}, fmt.Errorf("GetShardIterator %s: %w", sh.ShardId, err)
		}
		wg.Go(func() { lats[i], errs[i] = followShard(readCtx, eng, ref, sh.ShardId, it, &counts[i]) })
	}
	res, perShard, err := pacedPut(ctx, eng, ref, cfg)
	if err == nil {
		err = awaitReaders(ctx, shards, perShard, counts)
	}
	stopReaders()
	wg.Wait()
	if err != nil {
		return res, err
	}
	var all []time.Duration
	for i := range shards {
		if errs[i] != nil {
			return res, errs[i]
		}
		all = append(all, lats[i]...)
	}
	res.latency = bench.Summarize(all)
	return res, nil
}

// followShard is an in-process tail: read what is there, and when nothing is, block on the change feed. The feed
// channel is taken before the read that finds nothing, so a commit landing between the two still wakes it.
func followShard(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, shardID, it string,
	count *atomic.Int64) ([]time.Duration, error) {
	var lats []time.Duration
	limit := bench.ReadPageLimit
	for ctx.Err() == nil {
		wake, err := eng.WaitForRecords(ctx, ref, shardID)
		if err != nil {
			return lats, fmt.Errorf("WaitForRecords %s: %w", shardID, err)
		}
		out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it, Limit: &limit})
		if err != nil {
			return lats, fmt.Errorf("GetRecords %s: %w", shardID, err)
		}
		now := time.Now().UnixNano()
		for _, rec := range out.Records {
			if len(rec.Data) < 8 {
				return lats, fmt.Errorf("shard %s record %s has %d bytes, want a timestamp", shardID,
					rec.SequenceNumber, len(rec.Data))
			}
			lats = append(lats, time.Duration(now-int64(binary.BigEndian.Uint64(rec.Data))))
		}
		count.Add(int64(len(out.Records)))
		it = out.NextShardIterator
		if len(out.Records) == 0 {
			select {
			case <-wake:
			case <-ctx.Done():
			}
		}
	}
	return lats, nil
}

// pacedPut puts perTick records every tick for cfg.visibleDuration, each record's data starting with the
// UnixNano time its PutRecords call began. A late tick is put at once rather than skipped, so the offered load
// stays the target rate on average.
func pacedPut(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, cfg benchConfig) (
	visibleResult, map[string]int64, error) {
	perTick := min(max(int(float64(cfg.visibleRate)/100+0.5), 1), 500)
	tick := time.Duration(float64(perTick) / float64(cfg.visibleRate) * float64(time.Second))
	res := visibleResult{perTick: perTick, tick: tick}
	keys := bench.PartitionKeys(bench.KeyCount)
	rng := rand.New(rand.NewPCG(99, 0x5eed))
	payload := bench.Payload(cfg.size)
	perShard := map[string]int64{}
	entries := make([]engine.PutRecordsEntry, perTick)
	var putLats []time.Duration
	start := time.Now()
	for i := 0; ; i++ {
		next := start.Add(time.Duration(i) * tick)
		if next.Sub(start) >= cfg.visibleDuration {
			break
		}
		if err := sleepUntil(ctx, next); err != nil {
			return res, nil, err
		}
		// One buffer per tick: the records of a batch share a put-start time, and the engine copies the data.
		data := append([]byte(nil), payload...)
		t0 := time.Now()
		binary.BigEndian.PutUint64(data, uint64(t0.UnixNano()))
		for j := range entries {
			entries[j] = engine.PutRecordsEntry{Data: data, PartitionKey: keys[rng.IntN(len(keys))]}
		}
		out, err := eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: ref, Records: entries})
		putLats = append(putLats, time.Since(t0))
		if err != nil {
			return res, nil, fmt.Errorf("PutRecords: %w", err)
		}
		if err := countPut(out, perShard); err != nil {
			return res, nil, err
		}
		res.records += int64(perTick)
	}
	res.elapsed = time.Since(start)
	res.putLatency = bench.Summarize(putLats)
	return res, perShard, nil
}

// awaitReaders waits until every reader has seen all the records put to its shard.
func awaitReaders(ctx context.Context, shards []engine.ShardInfo, want map[string]int64, counts []atomic.Int64) error {
	deadline := time.Now().Add(drainTimeout)
	for {
		behind := ""
		for i, sh := range shards {
			if got := counts[i].Load(); got < want[sh.ShardId] {
				behind = fmt.Sprintf("shard %s: reader saw %d of %d records", sh.ShardId, got, want[sh.ShardId])
				break
			} else if got > want[sh.ShardId] {
				return fmt.Errorf("shard %s: reader saw %d records, only %d were put", sh.ShardId, got,
					want[sh.ShardId])
			}
		}
		if behind == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("data loss: %s %v after the last put", behind, drainTimeout)
		}
		if err := sleepUntil(ctx, time.Now().Add(time.Millisecond)); err != nil {
			return err
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
