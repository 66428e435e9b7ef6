package enginebench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/bench"
)

// putResult is what the put phase measured and what the read-back must find again.
type putResult struct {
	records, bytes int64
	elapsed        time.Duration
	latency        bench.Latency
	perShard       map[string]int64
}

// producerResult is one producer goroutine's share, merged after the phase so producers never contend on a lock.
type producerResult struct {
	records, bytes int64
	latencies      []time.Duration
	perShard       map[string]int64
	err            error
}

// runPutPhase runs cfg.producers goroutines putting full batches back to back until cfg.duration has passed.
func runPutPhase(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, cfg benchConfig) (putResult, error) {
	payload := bench.Payload(cfg.size)
	keys := bench.PartitionKeys(bench.KeyCount)
	results, elapsed := bench.RunProducers(cfg.producers, cfg.duration, func(i int, deadline time.Time) producerResult {
		return putProducer(ctx, eng, ref, cfg.batch, payload, keys, uint64(i), deadline)
	})
	res := putResult{elapsed: elapsed, perShard: map[string]int64{}}
	var all []time.Duration
	for _, r := range results {
		if r.err != nil {
			return res, r.err
		}
		res.records += r.records
		res.bytes += r.bytes
		all = append(all, r.latencies...)
		for id, n := range r.perShard {
			res.perShard[id] += n
		}
	}
	res.latency = bench.Summarize(all)
	return res, nil
}

func putProducer(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, batch int, payload []byte,
	keys []string, seed uint64, deadline time.Time) producerResult {
	r := producerResult{perShard: map[string]int64{}}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	entries := make([]engine.PutRecordsEntry, batch)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			r.err = err
			return r
		}
		var bytes int64
		for j := range entries {
			entries[j] = engine.PutRecordsEntry{Data: payload, PartitionKey: keys[rng.IntN(len(keys))]}
			bytes += int64(len(payload) + len(entries[j].PartitionKey))
		}
		t0 := time.Now()
		out, err := eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: ref, Records: entries})
		r.latencies = append(r.latencies, time.Since(t0))
		if err != nil {
			r.err = fmt.Errorf("PutRecords: %w", err)
			return r
		}
		if err := countPut(out, r.perShard); err != nil {
			r.err = err
			return r
		}
		r.records += int64(len(entries))
		r.bytes += bytes
	}
	return r
}

// countPut tallies accepted records by shard; with limits off any failed record is a bug, not throttling.
func countPut(out *engine.PutRecordsOutput, perShard map[string]int64) error {
	if out.FailedRecordCount != 0 {
		for _, rr := range out.Records {
			if rr.ErrorCode != "" {
				return fmt.Errorf("PutRecords: %d records failed, first: %s: %s", out.FailedRecordCount,
					rr.ErrorCode, rr.ErrorMessage)
			}
		}
		return fmt.Errorf("PutRecords: FailedRecordCount %d but no record has an error", out.FailedRecordCount)
	}
	for _, rr := range out.Records {
		perShard[rr.ShardId]++
	}
	return nil
}
