package apibench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardlab/shardlab/internal/bench"
)

// apiIngest is what the ingest phase measured against one target, and what the read-back must find again.
type apiIngest struct {
	records, bytes int64 // accepted records, and their data and keys
	calls          int64
	callErrors     int64 // PutRecords calls that failed as a whole
	failedRecords  int64 // records a successful call reported as failed
	firstError     string
	firstFailure   string
	elapsed        time.Duration
	latency        bench.Latency // per PutRecords call
	perShard       map[string]int64
	latencies      []time.Duration // one producer's, merged into latency
}

// apiIngestPhase runs cfg.producers goroutines putting full batches back to back until cfg.duration has passed.
// Limits are off on every target, so a failed record is a fault of the server, not throttling.
func apiIngestPhase(ctx context.Context, kc *kinesis.Client, cfg apiBenchConfig) apiIngest {
	payload := bench.Payload(cfg.size)
	keys := bench.PartitionKeys(bench.KeyCount)
	parts, elapsed := bench.RunProducers(cfg.producers, cfg.duration, func(i int, deadline time.Time) apiIngest {
		return apiProducer(ctx, kc, cfg.batch, payload, keys, uint64(i), deadline)
	})
	res := apiIngest{elapsed: elapsed, perShard: map[string]int64{}}
	var all []time.Duration
	for _, p := range parts {
		res.records += p.records
		res.bytes += p.bytes
		res.calls += p.calls
		res.callErrors += p.callErrors
		res.failedRecords += p.failedRecords
		if res.firstError == "" {
			res.firstError = p.firstError
		}
		if res.firstFailure == "" {
			res.firstFailure = p.firstFailure
		}
		all = append(all, p.latencies...)
		for id, n := range p.perShard {
			res.perShard[id] += n
		}
	}
	res.latency = bench.Summarize(all)
	return res
}

func apiProducer(ctx context.Context, kc *kinesis.Client, batch int, payload []byte, keys []string, seed uint64,
	deadline time.Time) apiIngest {
	r := apiIngest{perShard: map[string]int64{}}
	rng := rand.New(rand.NewPCG(seed, 0xa91))
	entries := make([]types.PutRecordsRequestEntry, batch)
	name := aws.String(apiStreamName)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for j := range entries {
			entries[j] = types.PutRecordsRequestEntry{Data: payload, PartitionKey: &keys[rng.IntN(len(keys))]}
		}
		t0 := time.Now()
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: entries})
		r.latencies = append(r.latencies, time.Since(t0))
		r.calls++
		if err == nil && len(out.Records) != len(entries) {
			err = fmt.Errorf("answer has %d results for %d records", len(out.Records), len(entries))
		}
		if err != nil {
			if ctx.Err() != nil {
				break // interrupted: not the server's failure
			}
			r.callErrors++
			if r.firstError == "" {
				r.firstError = shortError(err)
			}
			time.Sleep(10 * time.Millisecond) // a broken server must not turn this loop into a spin
			continue
		}
		r.tally(out, entries)
	}
	return r
}

// tally counts the accepted records by shard; results come in request order, so entry j's size is known.
func (r *apiIngest) tally(out *kinesis.PutRecordsOutput, entries []types.PutRecordsRequestEntry) {
	var failed int32
	for j, rr := range out.Records {
		if rr.ErrorCode != nil || rr.ShardId == nil {
			failed++
			r.failedRecords++
			if r.firstFailure == "" {
				r.firstFailure = aws.ToString(rr.ErrorCode) + ": " + aws.ToString(rr.ErrorMessage)
			}
			continue
		}
		r.perShard[*rr.ShardId]++
		r.records++
		r.bytes += int64(len(entries[j].Data) + len(*entries[j].PartitionKey))
	}
	if n := aws.ToInt32(out.FailedRecordCount); n != failed {
		r.callErrors++ // a wrong answer, which a producer relying on the count would act on
		if r.firstError == "" {
			r.firstError = fmt.Sprintf("FailedRecordCount %d, but %d records carry an error", n, failed)
		}
	}
}
