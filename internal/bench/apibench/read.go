package apibench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardlab/shardlab/internal/bench"
	"github.com/shardlab/shardlab/internal/numfmt"
)

// apiRead is what the read-back measured against one target.
type apiRead struct {
	records, bytes int64
	calls          int64
	errors         int64
	firstError     string
	elapsed        time.Duration
	partial        bool   // the time limit ended it before every shard was read to its end
	mismatch       string // shards that do not hold what the ingest phase was told they accepted
	notStored      bool   // the null target keeps nothing, so there is nothing to read or check
}

// readRetries is how often one GetRecords is retried with the same iterator: a real consumer retries a read,
// and a peer's transient failure should not end the read-back. Every failure is still counted.
const readRetries = 3

// apiReadBack reads every shard from TRIM_HORIZON to its end, one goroutine per shard in parallel, and checks each
// shard holds exactly the records the ingest phase was told it accepted, each of size bytes.
func apiReadBack(ctx context.Context, kc *kinesis.Client, want map[string]int64, size int, nullTarget bool) apiRead {
	res := apiRead{notStored: nullTarget}
	start := time.Now()
	shards, err := listShardIDs(ctx, kc)
	if err != nil {
		res.errors, res.firstError = 1, shortError(err)
		return res
	}
	got := make([]apiRead, len(shards))
	wrong := make([]string, len(shards))
	var wg sync.WaitGroup
	for i, id := range shards {
		wg.Go(func() { got[i], wrong[i] = readAPIShard(ctx, kc, id, size) })
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.partial = errors.Is(ctx.Err(), context.DeadlineExceeded)
	var bad []string
	for i, g := range got {
		res.records += g.records
		res.bytes += g.bytes
		res.calls += g.calls
		res.errors += g.errors
		if res.firstError == "" {
			res.firstError = g.firstError
		}
		if wrong[i] != "" {
			bad = append(bad, wrong[i])
		}
		if !nullTarget && !res.partial && g.records != want[shards[i]] {
			bad = append(bad, fmt.Sprintf("%s read %s records, ingest accepted %s", shards[i],
				numfmt.Thousands(g.records), numfmt.Thousands(want[shards[i]])))
		}
	}
	for id, n := range want {
		if !nullTarget && n > 0 && !slices.Contains(shards, id) {
			bad = append(bad, fmt.Sprintf("%s accepted %s records but is not listed", id, numfmt.Thousands(n)))
		}
	}
	res.mismatch = strings.Join(bad, "; ")
	return res
}

func listShardIDs(ctx context.Context, kc *kinesis.Client) ([]string, error) {
	var ids []string
	in := &kinesis.ListShardsInput{StreamName: aws.String(apiStreamName)}
	for {
		out, err := kc.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListShards: %w", err)
		}
		for _, s := range out.Shards {
			ids = append(ids, aws.ToString(s.ShardId))
		}
		if out.NextToken == nil {
			return ids, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// readAPIShard reads one shard until a GetRecords call returns no records. wrong names the first record whose
// size differs from what was put, a wrong answer the counts alone would miss.
func readAPIShard(ctx context.Context, kc *kinesis.Client, shardID string, size int) (r apiRead, wrong string) {
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(apiStreamName),
		ShardId: aws.String(shardID), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	r.calls++
	if err != nil {
		r.errors, r.firstError = 1, shortError(err)
		return r, ""
	}
	next := it.ShardIterator
	for next != nil && ctx.Err() == nil {
		out, err := getRecordsRetrying(ctx, kc, next, &r)
		if err != nil {
			return r, wrong
		}
		if len(out.Records) == 0 {
			break
		}
		for _, rec := range out.Records {
			if wrong == "" && (len(rec.Data) != size || aws.ToString(rec.PartitionKey) == "") {
				wrong = fmt.Sprintf("%s record %s has %d bytes and key %q, put %d bytes", shardID,
					aws.ToString(rec.SequenceNumber), len(rec.Data), aws.ToString(rec.PartitionKey), size)
			}
			r.bytes += int64(len(rec.Data) + len(aws.ToString(rec.PartitionKey)))
		}
		r.records += int64(len(out.Records))
		next = out.NextShardIterator
	}
	return r, wrong
}

func getRecordsRetrying(ctx context.Context, kc *kinesis.Client, it *string, r *apiRead) (
	*kinesis.GetRecordsOutput, error) {
	for attempt := 0; ; attempt++ {
		out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(bench.ReadPageLimit)})
		r.calls++
		if err == nil || ctx.Err() != nil {
			return out, err
		}
		r.errors++
		if r.firstError == "" {
			r.firstError = shortError(err)
		}
		if attempt == readRetries {
			return nil, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
