package apibench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/internal/bench"
	"github.com/shardlab/shardlab/internal/numfmt"
	"github.com/shardlab/shardlab/internal/sdkhttp"
)

// apiStreamName is the stream every target gets; each target is a fresh server, so one name serves all.
const apiStreamName = "bench-api"

// apiResult is everything measured against one target.
type apiResult struct {
	target    string
	own       bool
	inProcess bool
	skipped   string // why the target could not run here; not a failure
	err       error  // why the run stopped before its end

	ingest  apiIngest
	read    apiRead
	singles apiSingles
	// CPU time during the ingest phase and the read-back: the server's from /proc/PID/stat, and this process's
	// (the client's, and for the in-process null server both).
	serverCPU, clientCPU         time.Duration
	readServerCPU, readClientCPU time.Duration
	serverCPUKnown               bool
}

// apiSingles is the sequential PutRecord phase.
type apiSingles struct {
	latency    bench.Latency
	errors     int64
	firstError string
}

// failed says whether the run found something wrong: any call failed, a record went missing or the run stopped.
// The workload's credentials: Shardlab's verify target takes them as its root key.
const (
	benchAccessKey = "AKIDSHARDLABBENCH"
	benchSecret    = "secret"
)

func (r apiResult) failed() bool {
	return r.err != nil || r.ingest.callErrors > 0 || r.ingest.failedRecords > 0 || r.read.errors > 0 ||
		r.read.partial || r.read.mismatch != "" || r.singles.errors > 0
}

// problem is failed's reason in a few words, for the report and the exit status.
func (r apiResult) problem() string {
	var p []string
	if r.err != nil {
		p = append(p, r.err.Error())
	}
	if r.ingest.callErrors > 0 {
		p = append(p, fmt.Sprintf("%d PutRecords calls failed (first: %s)", r.ingest.callErrors, r.ingest.firstError))
	}
	if r.ingest.failedRecords > 0 {
		p = append(p, fmt.Sprintf("%d records failed in PutRecords (first: %s)", r.ingest.failedRecords,
			r.ingest.firstFailure))
	}
	if r.read.errors > 0 {
		p = append(p, fmt.Sprintf("%d read-back calls failed (first: %s)", r.read.errors, r.read.firstError))
	}
	if r.read.partial {
		p = append(p, "read-back cut short by the time limit")
	}
	if r.read.mismatch != "" {
		p = append(p, "read-back: "+r.read.mismatch)
	}
	if r.singles.errors > 0 {
		p = append(p, fmt.Sprintf("%d PutRecord calls failed (first: %s)", r.singles.errors, r.singles.firstError))
	}
	return strings.Join(p, "; ")
}

// runAPIWorkload creates the stream, then runs ingest, read-back and single puts in turn against srv.
func runAPIWorkload(ctx context.Context, cfg apiBenchConfig, srv *runningServer, r *apiResult, log io.Writer) {
	kc, closeIdle := newBenchAPIClient(srv.endpoint, cfg.producers)
	defer closeIdle()
	if err := createAPIStream(ctx, kc, cfg.shards); err != nil {
		r.err = err
		return
	}

	fmt.Fprintf(log, "ingest for %v… ", cfg.duration)
	meter := startCPUMeter(srv.pid)
	r.ingest = apiIngestPhase(ctx, kc, cfg)
	r.serverCPU, r.clientCPU, r.serverCPUKnown = meter.stop()
	if ctx.Err() != nil {
		r.err = ctx.Err()
		return
	}

	fmt.Fprintf(log, "read-back of %s records… ", numfmt.Thousands(r.ingest.records))
	readCtx, cancel := context.WithTimeout(ctx, cfg.readLimit)
	meter = startCPUMeter(srv.pid)
	r.read = apiReadBack(readCtx, kc, r.ingest.perShard, cfg.size, r.inProcess)
	r.readServerCPU, r.readClientCPU, _ = meter.stop()
	cancel()
	if ctx.Err() != nil {
		r.err = ctx.Err()
		return
	}

	fmt.Fprintf(log, "%d single puts… ", cfg.singles)
	r.singles = apiSinglesPhase(ctx, kc, cfg.singles, cfg.size)
	if ctx.Err() != nil {
		r.err = ctx.Err()
	}
}

// newBenchAPIClient is an aws-sdk-go-v2 client for endpoint with retries off, so every failure is counted, and
// enough idle connections kept for every producer to reuse its own. Plain http makes it HTTP/1.1, the one
// protocol every target speaks.
func newBenchAPIClient(endpoint string, conns int) (*kinesis.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 2 * (conns + 1)
	tr.MaxIdleConnsPerHost = conns + 1
	return benchAPIKinesis(endpoint, tr), tr.CloseIdleConnections
}

// benchAPIKinesis is the SDK client over tr, with the request bodies it sends made safe for net/http.
func benchAPIKinesis(endpoint string, tr http.RoundTripper) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		BaseEndpoint:     aws.String(endpoint),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(benchAccessKey, benchSecret, ""),
		RetryMaxAttempts: 1,
		// Generous: kinesis-local takes seconds per batch when 8 arrive at once.
		HTTPClient: sdkhttp.Client(tr, 2*time.Minute),
	})
}

func listStreams(ctx context.Context, kc *kinesis.Client) error {
	_, err := kc.ListStreams(ctx, &kinesis.ListStreamsInput{})
	return err
}

// createAPIStream creates the stream and waits until it is ACTIVE.
func createAPIStream(ctx context.Context, kc *kinesis.Client, shards int) error {
	name := aws.String(apiStreamName)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name,
		ShardCount: aws.Int32(int32(shards))}); err != nil {
		return fmt.Errorf("CreateStream: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
		if err != nil {
			return fmt.Errorf("DescribeStreamSummary: %w", err)
		}
		status := out.StreamDescriptionSummary.StreamStatus
		if status == types.StreamStatusActive {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stream still %s after 30 s", status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// apiSinglesPhase times n PutRecord calls one after another on one connection: the latency a simple producer
// sees, with nothing queued ahead of it.
func apiSinglesPhase(ctx context.Context, kc *kinesis.Client, n, size int) apiSingles {
	var s apiSingles
	payload := bench.Payload(size)
	keys := bench.PartitionKeys(bench.KeyCount)
	rng := rand.New(rand.NewPCG(7, 7))
	lat := make([]time.Duration, 0, n)
	name := aws.String(apiStreamName)
	for range n {
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		_, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, Data: payload,
			PartitionKey: &keys[rng.IntN(len(keys))]})
		lat = append(lat, time.Since(t0))
		if err != nil {
			s.errors++
			if s.firstError == "" {
				s.firstError = shortError(err)
			}
		}
	}
	s.latency = bench.Summarize(lat)
	return s
}

// shortError keeps an SDK error's Kinesis error name and message: the SDK's wrapping around them repeats the
// operation, status and request id for every one of possibly thousands of failures.
func shortError(err error) string {
	s := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		s = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if len(s) > 300 { // SDK errors name the operation first and the cause last: keep both ends
		s = s[:120] + " … " + s[len(s)-180:]
	}
	return s
}
