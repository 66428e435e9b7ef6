package apibench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// startNullTarget serves canned answers without parsing or storing anything, in this process. What the workload
// reaches against it is the ceiling of the client on this machine — the SDK's signing, JSON encoding and the
// loopback network — which no real server can beat, so every target's ingest is also shown as a share of it.
func startNullTarget(_ context.Context, cfg apiBenchConfig) (*runningServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: newNullHandler(cfg), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return &runningServer{endpoint: "http://" + ln.Addr().String(), stop: func() error {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}}, nil
}

// newNullHandler answers just the calls the workload makes, each with one body built up front.
func newNullHandler(cfg apiBenchConfig) http.Handler {
	shardID := func(i int) string { return fmt.Sprintf("shardId-%012d", i) }
	const seq = "49590338271490256608559692538361571095921575989136588898"
	var entries, shards []string
	for i := range cfg.batch {
		entries = append(entries, fmt.Sprintf(`{"SequenceNumber":%q,"ShardId":%q}`, seq, shardID(i%cfg.shards)))
	}
	for i := range cfg.shards {
		shards = append(shards, fmt.Sprintf(`{"ShardId":%q,"HashKeyRange":{"StartingHashKey":"0",`+
			`"EndingHashKey":"1"},"SequenceNumberRange":{"StartingSequenceNumber":"0"}}`, shardID(i)))
	}
	answers := map[string][]byte{
		"ListStreams":  []byte(`{"StreamNames":[],"HasMoreStreams":false}`),
		"CreateStream": []byte(`{}`),
		"DeleteStream": []byte(`{}`),
		"DescribeStreamSummary": fmt.Appendf(nil, `{"StreamDescriptionSummary":{"StreamName":"null",`+
			`"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/null","StreamStatus":"ACTIVE",`+
			`"RetentionPeriodHours":24,"StreamCreationTimestamp":0,"EnhancedMonitoring":[],"OpenShardCount":%d}}`,
			cfg.shards),
		"ListShards":       []byte(`{"Shards":[` + strings.Join(shards, ",") + `]}`),
		"PutRecords":       []byte(`{"FailedRecordCount":0,"Records":[` + strings.Join(entries, ",") + `]}`),
		"PutRecord":        fmt.Appendf(nil, `{"SequenceNumber":%q,"ShardId":%q}`, seq, shardID(0)),
		"GetShardIterator": []byte(`{"ShardIterator":"null"}`),
		"GetRecords":       []byte(`{"Records":[],"NextShardIterator":"null","MillisBehindLatest":0}`),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is read, as any server must, but not parsed.
		io.Copy(io.Discard, r.Body)
		action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
		body, ok := answers[action]
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"the null server does not answer %s"}`,
				action)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as real servers send it: no chunking
		w.Write(body)
	})
}
