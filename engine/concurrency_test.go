package engine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentProducersReadersAndResharding runs producers, lineage-following readers and resharding at once.
// Every record must be read exactly once, and each partition key's records in the order they were put.
func TestConcurrentProducersReadersAndResharding(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "c", 2)
	const producers, batches, perBatch, keysPerProducer = 6, 120, 10, 8
	if testing.Short() {
		t.Skip("long concurrency test")
	}

	var writing sync.WaitGroup
	var done atomic.Bool
	for p := range producers {
		writing.Add(1)
		go func() {
			defer writing.Done()
			next := make([]int, keysPerProducer)
			for range batches {
				var recs []PutRecordsEntry
				for i := range perBatch {
					k := (i + p) % keysPerProducer
					key := fmt.Sprintf("p%d-k%d", p, k)
					recs = append(recs, PutRecordsEntry{PartitionKey: key, Data: []byte(key + "|" + strconv.Itoa(next[k]))})
					next[k]++
				}
				out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("c"), Records: recs})
				if err != nil || out.FailedRecordCount != 0 {
					t.Errorf("producer %d: %v (%d failed)", p, err, out.FailedRecordCount)
					return
				}
			}
		}()
	}
	writing.Add(1)
	go func() { // reshard while the producers write
		defer writing.Done()
		for step := 0; step < 6; step++ {
			time.Sleep(5 * time.Millisecond)
			var err error
			switch step % 3 {
			case 0:
				shards, _ := e.Shards(ctx, ref("c"))
				for _, sh := range shards {
					if sh.Open {
						err = e.SplitShard(ctx, SplitShardInput{StreamRef: ref("c"), ShardToSplit: sh.ShardId,
							NewStartingHashKey: sh.Range.Mid().String()})
						break
					}
				}
			case 1:
				err = mergeFirstAdjacent(e, "c")
			case 2:
				_, err = e.UpdateShardCount(ctx, UpdateShardCountInput{StreamRef: ref("c"), TargetShardCount: 3,
					ScalingType: ScalingUniform})
			}
			if err != nil && ErrorCode(err) != ErrInvalidArgument {
				t.Errorf("reshard step %d: %v", step, err)
			}
		}
	}()

	const readers = 3
	results := make([]map[string][]int, readers)
	var reading sync.WaitGroup
	for r := range readers {
		reading.Add(1)
		go func() {
			defer reading.Done()
			results[r] = readLineage(t, e, "c", &done)
		}()
	}
	writing.Wait()
	done.Store(true)
	reading.Wait()

	for r, perKey := range results {
		total := 0
		for key, ns := range perKey {
			for i, n := range ns {
				if n != i {
					t.Fatalf("reader %d, key %s: record %d has number %d (order broken, lost or duplicated): %v",
						r, key, i, n, ns)
				}
			}
			total += len(ns)
		}
		if total != producers*batches*perBatch {
			t.Fatalf("reader %d read %d records, want %d", r, total, producers*batches*perBatch)
		}
	}
	shards, _ := e.Shards(ctx, ref("c"))
	if len(shards) <= 2 {
		t.Fatal("no resharding happened during the test")
	}
}

func mergeFirstAdjacent(e *Engine, stream string) error {
	shards, _ := e.Shards(ctx, ref(stream))
	var open []ShardInfo
	for _, sh := range shards {
		if sh.Open {
			open = append(open, sh)
		}
	}
	for _, a := range open {
		for _, b := range open {
			if a.Range.Adjacent(b.Range) {
				return e.MergeShards(ctx, MergeShardsInput{StreamRef: ref(stream), ShardToMerge: a.ShardId,
					AdjacentShardToMerge: b.ShardId})
			}
		}
	}
	return nil
}

// readLineage reads a stream the way KCL does: a shard starts only after all its parents were read to their end.
// It tails open shards until done is set and they are caught up, and returns each key's record numbers in order.
func readLineage(t *testing.T, e *Engine, stream string, done *atomic.Bool) map[string][]int {
	var mu sync.Mutex
	perKey := map[string][]int{}
	finished := map[string]bool{}
	started := map[string]bool{}
	var wg sync.WaitGroup
	var start func(shardID string)
	ready := func(parents []string) bool {
		for _, p := range parents {
			if !finished[p] {
				return false
			}
		}
		return true
	}
	start = func(shardID string) {
		started[shardID] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			children := readShardToEnd(t, e, stream, shardID, done, func(key string, n int) {
				mu.Lock()
				perKey[key] = append(perKey[key], n)
				mu.Unlock()
			})
			mu.Lock()
			defer mu.Unlock()
			finished[shardID] = true
			for _, c := range children {
				if !started[c.ShardId] && ready(c.ParentShards) {
					start(c.ShardId)
				}
			}
		}()
	}
	initial, _ := e.ListShards(ctx, ListShardsInput{StreamRef: ref(stream), ShardFilter: &ShardFilter{Type: FilterAtTrimHorizon}})
	mu.Lock()
	for _, sh := range initial.Shards {
		start(sh.ShardId)
	}
	mu.Unlock()
	wg.Wait()
	return perKey
}

func readShardToEnd(t *testing.T, e *Engine, stream, shardID string, done *atomic.Bool, emit func(string, int)) []ChildShard {
	it, err := e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref(stream), ShardId: shardID,
		ShardIteratorType: IteratorTrimHorizon})
	if err != nil {
		t.Errorf("iterator for %s: %v", shardID, err)
		return nil
	}
	for {
		wake, _ := e.WaitForRecords(ctx, ref(stream), shardID)
		wasDone := done.Load()
		out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
		if err != nil {
			t.Errorf("GetRecords on %s: %v", shardID, err)
			return nil
		}
		for _, r := range out.Records {
			key, num, _ := strings.Cut(string(r.Data), "|")
			n, _ := strconv.Atoi(num)
			emit(key, n)
		}
		if out.NextShardIterator == "" {
			return out.ChildShards
		}
		it = out.NextShardIterator
		if len(out.Records) == 0 {
			if wasDone {
				return nil // an open shard, caught up after the writers stopped
			}
			select {
			case <-wake:
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}
