package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/shardlab/shardlab/engine/kinesisapi"
)

// runFaults drives a running server's fault injection through its admin endpoint:
//
//	shardlab faults --stream S                        show what is injected
//	shardlab faults --stream S [--shard ID] --throttle 0.2 --latency 50ms
//	shardlab faults --stream S [--shard ID] --clear
func runFaults(args []string) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4567", "the Shardlab server")
	stream := fs.String("stream", "", "stream name (required)")
	shard := fs.String("shard", "", "one shard id; default the whole stream")
	throttle := fs.Float64("throttle", 0, "probability of ProvisionedThroughputExceededException")
	internal := fs.Float64("internal", 0, "probability of InternalFailure")
	unavailable := fs.Float64("unavailable", 0, "probability of ServiceUnavailable")
	latency := fs.Duration("latency", 0, "latency added to each call")
	clear := fs.Bool("clear", false, "remove the faults: every fault of the stream, or only --shard's")
	account := fs.String("account", "", "account (default: the server's)")
	region := fs.String("region", "", "region (default: the server's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stream == "" {
		return fmt.Errorf("--stream is required")
	}
	q := url.Values{"stream": {*stream}, "shard": {*shard}, "account": {*account}, "region": {*region}}
	target := *endpoint + kinesisapi.AdminPrefix + "faults?" + q.Encode()
	setting := *throttle != 0 || *internal != 0 || *unavailable != 0 || *latency != 0
	var req *http.Request
	var err error
	switch {
	case *clear:
		req, err = http.NewRequest(http.MethodDelete, target, nil)
	case setting:
		body, _ := json.Marshal(kinesisapi.FaultRequest{Stream: *stream, Shard: *shard, Account: *account,
			Region: *region, ThrottleRate: *throttle, InternalFailureRate: *internal,
			ServiceUnavailableRate: *unavailable, LatencyMs: int(*latency / time.Millisecond)})
		req, err = http.NewRequest(http.MethodPost, *endpoint+kinesisapi.AdminPrefix+"faults", bytes.NewReader(body))
	default:
		req, err = http.NewRequest(http.MethodGet, target, nil)
	}
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is a Shardlab server running at %s? %w", *endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	_, err = os.Stdout.Write(b)
	return err
}
