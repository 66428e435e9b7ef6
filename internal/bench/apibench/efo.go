package apibench

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardlab/shardlab/internal/bench"
	"github.com/shardlab/shardlab/internal/numfmt"
)

// `shardlab bench-efo`: enhanced fan-out through the real server and aws-sdk-go-v2 over h2c. Records are put at a
// fixed rate, each stamped with the time its PutRecords call started; every consumer subscribes to every shard,
// and a record's latency is from that stamp to the arrival of the event holding it.

type efoBenchConfig struct {
	rate, shards, size, consumers, batch int
	duration                             time.Duration
	shardlabCmd                          ServerCommand
}

const efoStreamName = "bench-efo"

// MainEFO is `shardlab bench-efo`: put-to-event latency with one consumer, then with -consumers of them.
func MainEFO(args []string, shardlab ServerCommand) error {
	fs := flag.NewFlagSet("bench-efo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: shardlab bench-efo [flags]\n\nPut-to-SubscribeToShard-event latency through `shardlab serve` "+
			"and aws-sdk-go-v2 over h2c, first with one consumer, then fanned out (see BENCHMARKS.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	cfg := efoBenchConfig{shardlabCmd: shardlab}
	fs.IntVar(&cfg.rate, "rate", 10000, "records per second put")
	fs.IntVar(&cfg.shards, "shards", 4, "shards of the stream")
	fs.IntVar(&cfg.size, "size", 1024, "bytes of data per record (at least 8)")
	fs.IntVar(&cfg.consumers, "consumers", 5, "consumers of the fan-out run")
	fs.IntVar(&cfg.batch, "batch", 100, "records per PutRecords call")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long each run puts records")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.size < 8 || cfg.rate < 1 || cfg.shards < 1 || cfg.consumers < 1 || cfg.batch < 1 || cfg.batch > 500 {
		return errors.New("bench-efo: -size ≥ 8, -batch 1–500, and -rate, -shards and -consumers ≥ 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("shardlab bench-efo: %s records/s of %s B into %d shards for %v, batches of %d; SubscribeToShard over h2c\n",
		numfmt.Thousands(int64(cfg.rate)), numfmt.Thousands(int64(cfg.size)), cfg.shards, cfg.duration, cfg.batch)
	fmt.Printf("machine   %s (client and server share it)\n\n", bench.MachineLine())
	for _, consumers := range []int{1, cfg.consumers} {
		r, err := runEFOOnce(ctx, cfg, consumers)
		if err != nil {
			return err
		}
		fmt.Println(r)
	}
	return nil
}

type efoResult struct {
	consumers       int
	put, delivered  int64
	latency         bench.Latency
	perConsumerRate float64
}

func (r efoResult) String() string {
	return fmt.Sprintf("%d consumer(s): %s records put, %s delivered (every consumer got every record: %v), %s records/s "+
		"a consumer; latency put → event p50 %s, p99 %s, max %s",
		r.consumers, numfmt.Thousands(r.put), numfmt.Thousands(r.delivered), r.delivered == r.put*int64(r.consumers),
		numfmt.Thousands(int64(r.perConsumerRate)), bench.Ms(r.latency.P50), bench.Ms(r.latency.P99), bench.Ms(r.latency.Max))
}

func runEFOOnce(ctx context.Context, cfg efoBenchConfig, consumers int) (efoResult, error) {
	srv, err := startShardlab(ctx, apiBenchConfig{shardlabCmd: cfg.shardlabCmd}, false, false)
	if err != nil {
		return efoResult{}, err
	}
	defer srv.stop()
	kc := h2cKinesisClient(srv.endpoint)
	name := aws.String(efoStreamName)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(int32(cfg.shards))}); err != nil {
		return efoResult{}, err
	}
	sum, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if err != nil {
		return efoResult{}, err
	}
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil {
		return efoResult{}, err
	}
	subCtx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	var mu sync.Mutex
	var lat []time.Duration
	var delivered int64
	var wg sync.WaitGroup
	ready := make(chan error, consumers*len(shards.Shards))
	for c := range consumers {
		reg, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
			StreamARN: sum.StreamDescriptionSummary.StreamARN, ConsumerName: aws.String(fmt.Sprintf("consumer-%d", c))})
		if err != nil {
			return efoResult{}, err
		}
		for _, sh := range shards.Shards {
			wg.Go(func() {
				local, n := subscribeAndMeasure(subCtx, kc, reg.Consumer.ConsumerARN, sh.ShardId, ready)
				mu.Lock()
				lat = append(lat, local...)
				delivered += n
				mu.Unlock()
			})
		}
	}
	for range consumers * len(shards.Shards) {
		if err := <-ready; err != nil {
			return efoResult{}, fmt.Errorf("SubscribeToShard: %w", err)
		}
	}
	put, err := putAtRate(ctx, kc, cfg)
	if err != nil {
		return efoResult{}, err
	}
	want := put * int64(consumers)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := delivered
		mu.Unlock()
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancelSubs()
	wg.Wait()
	r := efoResult{consumers: consumers, put: put, delivered: delivered, latency: bench.Summarize(lat),
		perConsumerRate: float64(delivered) / float64(consumers) / cfg.duration.Seconds()}
	return r, nil
}

// subscribeAndMeasure reads one consumer's subscription to one shard until ctx ends, resubscribing after each
// session, and returns every record's latency.
func subscribeAndMeasure(ctx context.Context, kc *kinesis.Client, consumerARN *string, shardID *string, ready chan<- error) ([]time.Duration, int64) {
	var lat []time.Duration
	var n int64
	pos := &types.StartingPosition{Type: types.ShardIteratorTypeLatest}
	first := true
	for ctx.Err() == nil {
		out, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: consumerARN, ShardId: shardID, StartingPosition: pos})
		if first {
			ready <- err
			first = false
		}
		if err != nil {
			return lat, n
		}
		stream := out.GetStream()
		for ev := range stream.Events() {
			now := time.Now()
			e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
			if !ok {
				continue
			}
			for _, r := range e.Value.Records {
				lat = append(lat, now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(r.Data)))))
				n++
			}
			if c := e.Value.ContinuationSequenceNumber; c != nil {
				pos = &types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: c}
			}
		}
		stream.Close()
	}
	return lat, n
}

// putAtRate puts cfg.rate records a second for cfg.duration, a batch every batch/rate seconds, each record
// stamped with the time its call started, and returns how many were accepted.
func putAtRate(ctx context.Context, kc *kinesis.Client, cfg efoBenchConfig) (int64, error) {
	interval := time.Duration(float64(time.Second) * float64(cfg.batch) / float64(cfg.rate))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(cfg.duration)
	var put int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for i := 0; time.Now().Before(end); i++ {
		select {
		case <-ctx.Done():
			return put, ctx.Err()
		case <-tick.C:
		}
		entries := make([]types.PutRecordsRequestEntry, cfg.batch)
		stamp := uint64(time.Now().UnixNano())
		for j := range entries {
			data := make([]byte, cfg.size)
			binary.BigEndian.PutUint64(data, stamp)
			entries[j] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("key-%d-%d", i, j)), Data: data}
		}
		wg.Go(func() { // calls overlap when one is slow, so the rate holds
			out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(efoStreamName), Records: entries})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				return
			}
			put += int64(len(entries)) - int64(aws.ToInt32(out.FailedRecordCount))
		})
	}
	wg.Wait()
	return put, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// h2cKinesisClient speaks HTTP/2 without TLS, as SubscribeToShard needs, with SDK retries off.
func h2cKinesisClient(endpoint string) *kinesis.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: tr}})
}
