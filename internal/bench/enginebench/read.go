package enginebench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/bench"
)

// readResult is what the read-back measured.
type readResult struct {
	records, bytes int64
	calls          int64
	elapsed        time.Duration
}

// runReadPhase reads every shard from TRIM_HORIZON to its end, one goroutine per shard in parallel, and checks
// that each shard holds exactly the records the put phase was told it accepted.
func runReadPhase(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, want map[string]int64,
	size int) (readResult, error) {
	shards, err := eng.Shards(ctx, ref)
	if err != nil {
		return readResult{}, err
	}
	got := make([]readResult, len(shards))
	errs := make([]error, len(shards))
	start := time.Now()
	var wg sync.WaitGroup
	for i, sh := range shards {
		wg.Go(func() { got[i], errs[i] = readShardToEnd(ctx, eng, ref, sh.ShardId, size) })
	}
	wg.Wait()
	res := readResult{elapsed: time.Since(start)}
	var wantTotal int64
	for _, n := range want {
		wantTotal += n
	}
	for i, sh := range shards {
		if errs[i] != nil {
			return res, errs[i]
		}
		if got[i].records != want[sh.ShardId] {
			return res, fmt.Errorf("data loss: shard %s read back %d records, put accepted %d", sh.ShardId,
				got[i].records, want[sh.ShardId])
		}
		res.records += got[i].records
		res.bytes += got[i].bytes
		res.calls += got[i].calls
	}
	if res.records != wantTotal {
		return res, fmt.Errorf("data loss: read back %d records, put accepted %d", res.records, wantTotal)
	}
	return res, nil
}

func readShardToEnd(ctx context.Context, eng *engine.Engine, ref engine.StreamRef, shardID string, size int) (
	readResult, error) {
	var r readResult
	it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: ref, ShardId: shardID,
		ShardIteratorType: engine.IteratorTrimHorizon})
	if err != nil {
		return r, fmt.Errorf("GetShardIterator %s: %w", shardID, err)
	}
	limit := bench.ReadPageLimit
	for it != "" {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it, Limit: &limit})
		if err != nil {
			return r, fmt.Errorf("GetRecords %s: %w", shardID, err)
		}
		r.calls++
		if len(out.Records) == 0 {
			break
		}
		var bytes int64
		for _, rec := range out.Records {
			if len(rec.Data) != size || rec.PartitionKey == "" {
				return r, fmt.Errorf("shard %s record %s: %d bytes of data and key %q, want %d bytes",
					shardID, rec.SequenceNumber, len(rec.Data), rec.PartitionKey, size)
			}
			bytes += int64(len(rec.Data) + len(rec.PartitionKey))
		}
		r.records += int64(len(out.Records))
		r.bytes += bytes
		it = out.NextShardIterator
	}
	return r, nil
}
