package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// startServe runs `shardlab serve` in process on a free loopback port and returns its endpoint.
func startServe(t *testing.T, cfg serveConfig) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	devnull, _ := os.Open(os.DevNull)
	t.Cleanup(func() { cancel(); devnull.Close() })
	go func() { done <- serve(ctx, cfg, devnull, ready) }()
	select {
	case ep := <-ready:
		return ep, cancel, done
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

func call(t *testing.T, c *http.Client, endpoint, action, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Proto
}

func TestServeSpeaksHTTP1AndH2CAndPersists(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: dir, limits: "on", account: "000000000000", region: "us-east-1"}
	endpoint, stop, done := startServe(t, cfg)
	h1 := &http.Client{}
	h2c := &http.Client{Transport: &http.Transport{Protocols: new(http.Protocols)}}
	h2c.Transport.(*http.Transport).Protocols.SetUnencryptedHTTP2(true)

	if code, body, _ := call(t, h1, endpoint, "CreateStream", `{"StreamName":"s","ShardCount":1}`); code != 200 {
		t.Fatalf("CreateStream: %d %s", code, body)
	}
	code, body, proto := call(t, h2c, endpoint, "PutRecord", `{"StreamName":"s","PartitionKey":"k","Data":"aGk="}`)
	if code != 200 || proto != "HTTP/2.0" || !strings.Contains(body, `"SequenceNumber"`) {
		t.Fatalf("PutRecord over h2c: %d %s %s", code, proto, body)
	}
	if code, body, _ := call(t, h1, endpoint, "Bogus", `{}`); code != 400 || !strings.Contains(body, "UnknownOperationException") {
		t.Fatalf("unknown action: %d %s", code, body)
	}
	if code, body, _ := call(t, h1, endpoint, "PutRecord", `{"StreamName":`); code != 400 || !strings.Contains(body, "SerializationException") {
		t.Fatalf("malformed body: %d %s", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(make([]byte, 17<<20)))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
	if resp, err := h1.Do(req); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("17 MiB body: %v %v", resp, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	// The record survived the restart.
	endpoint, _, _ = startServe(t, cfg)
	_, body, _ = call(t, h1, endpoint, "GetShardIterator", `{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`)
	it := body[strings.Index(body, `:"`)+2 : strings.LastIndex(body, `"`)]
	_, body, _ = call(t, h1, endpoint, "GetRecords", `{"ShardIterator":"`+it+`"}`)
	if !strings.Contains(body, `"Data":"aGk="`) {
		t.Fatalf("after restart GetRecords = %s", body)
	}
}

func TestServeFlags(t *testing.T) {
	if _, err := parseServeFlags([]string{"-limits", "maybe"}); err == nil {
		t.Fatal("-limits maybe accepted")
	}
	c, err := parseServeFlags([]string{"-addr", "127.0.0.1:9999", "-in-memory", "-limits", "off"})
	if err != nil || c.addr != "127.0.0.1:9999" || !c.inMemory || c.limits != "off" {
		t.Fatalf("flags: %+v, %v", c, err)
	}
}

func TestServeTLSWithGeneratedCertificate(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: dir, limits: "on", inMemory: true, tls: true}
	endpoint, _, _ := startServe(t, cfg)
	if !strings.HasPrefix(endpoint, "https://") {
		t.Fatalf("endpoint %s", endpoint)
	}
	pemBytes, err := os.ReadFile(dir + "/tls/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	code, body, proto := call(t, c, endpoint, "ListStreams", `{}`)
	if code != 200 || proto != "HTTP/2.0" || !strings.Contains(body, `"StreamNames":[]`) {
		t.Fatalf("ListStreams over TLS: %d %s %s", code, proto, body)
	}
}

func TestStreamsLineNamesEncryptedStreams(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	n := 1
	for _, name := range []string{"plain", "secret"} {
		if err := eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: name, ShardCount: &n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := eng.StartStreamEncryption(context.Background(), engine.StreamRef{StreamName: "secret"}, engine.EncryptionKMS, "alias/demo"); err != nil {
		t.Fatal(err)
	}
	if got := streamsLine(eng); got != "streams: 2 in us-east-1; encrypted: secret (key alias/demo)" {
		t.Fatalf("streams line %q", got)
	}
}

// A put in flight when SIGTERM arrives finishes and is durable: shutdown waits for it before closing the database.
func TestServeShutdownFinishesPutsInFlight(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: dir, limits: "on", account: "000000000000", region: "us-east-1"}
	endpoint, stop, done := startServe(t, cfg)
	c := &http.Client{}
	call(t, c, endpoint, "CreateStream", `{"StreamName":"s","ShardCount":1}`)
	// Slow the put down with injected latency so the shutdown starts while it is being served.
	resp, err := http.Post(endpoint+"/_shardlab/faults", "application/json",
		strings.NewReader(`{"stream":"s","latencyMs":400}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("set latency: %v %v", resp, err)
	}
	result := make(chan string, 1)
	go func() {
		code, body, _ := call(t, c, endpoint, "PutRecord", `{"StreamName":"s","PartitionKey":"k","Data":"aW4tZmxpZ2h0"}`)
		result <- fmt.Sprint(code, " ", body)
	}()
	time.Sleep(100 * time.Millisecond)
	stop()
	if got := <-result; !strings.HasPrefix(got, "200 ") {
		t.Fatalf("the put in flight during shutdown answered %s", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	endpoint, _, _ = startServe(t, cfg)
	_, body, _ := call(t, c, endpoint, "GetShardIterator", `{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`)
	it := body[strings.Index(body, `:"`)+2 : strings.LastIndex(body, `"`)]
	if _, body, _ = call(t, c, endpoint, "GetRecords", `{"ShardIterator":"`+it+`"}`); !strings.Contains(body, `"Data":"aW4tZmxpZ2h0"`) {
		t.Fatalf("the in-flight put is not there after a restart: %s", body)
	}
}

// TestServeAnswersFirehoseOnTheSamePort: a DirectPut delivery stream created through serve's endpoint writes its
// records into <data>/s3/<bucket>, and survives a restart.
func TestServeAnswersFirehoseOnTheSamePort(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: dir, limits: "on", account: "000000000000", region: "us-east-1"}
	endpoint, stop, done := startServe(t, cfg)
	firehose := func(action, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "Firehose_20150804."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := firehose("CreateDeliveryStream", `{"DeliveryStreamName":"d","ExtendedS3DestinationConfiguration":`+
		`{"BucketARN":"arn:aws:s3:::b","RoleARN":"r","BufferingHints":{"IntervalInSeconds":0}}}`); code != 200 {
		t.Fatalf("CreateDeliveryStream: %d %s", code, body)
	}
	if code, body := firehose("PutRecord", `{"DeliveryStreamName":"d","Record":{"Data":"aGkK"}}`); code != 200 || !strings.Contains(body, "RecordId") {
		t.Fatalf("PutRecord: %d %s", code, body)
	}
	waitForFile := func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if n := countFiles(dir + "/s3/b"); n > 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no object in <data>/s3/b")
	}
	waitForFile()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	endpoint, _, _ = startServe(t, cfg)
	if code, body := firehose("DescribeDeliveryStream", `{"DeliveryStreamName":"d"}`); code != 200 || !strings.Contains(body, `"ACTIVE"`) {
		t.Fatalf("after a restart: %d %s", code, body)
	}
}

func countFiles(dir string) int {
	n := 0
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	return n
}
