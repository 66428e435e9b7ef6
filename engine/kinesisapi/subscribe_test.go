package kinesisapi

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/eventstream"
	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine"
)

// startH2CServer serves the API as `shardlab serve` does, HTTP/1.1 and h2c on one port.
func startH2CServer(t *testing.T, opts engine.Options) (*engine.Engine, string) {
	t.Helper()
	opts.InMemory = true
	eng, err := engine.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := New(eng, Options{})
	srv := &http.Server{Handler: api, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	srv.RegisterOnShutdown(api.EndSubscriptions)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(ctx); eng.Close() })
	return eng, "http://" + ln.Addr().String()
}

// h2cClient is an aws-sdk-go-v2 Kinesis client that speaks HTTP/2 without TLS, as SubscribeToShard needs on AWS.
func h2cClient(url string) *kinesis.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: tr}})
}

// TestGoSDKEnhancedFanOut registers a consumer and reads a shard through aws-sdk-go-v2's SubscribeToShard event
// stream reader over h2c: every record once, in order, the continuation number, and the registry's errors.
func TestGoSDKEnhancedFanOut(t *testing.T) {
	_, url := startH2CServer(t, engine.Options{})
	kc := h2cClient(url)
	name := aws.String("efo")
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	sum, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	streamARN := sum.StreamDescriptionSummary.StreamARN
	reg, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: streamARN,
		ConsumerName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	consumerARN := reg.Consumer.ConsumerARN
	desc, err := kc.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: consumerARN})
	if err != nil || aws.ToString(desc.ConsumerDescription.StreamARN) != aws.ToString(streamARN) ||
		desc.ConsumerDescription.ConsumerStatus != types.ConsumerStatusActive {
		t.Fatalf("DescribeStreamConsumer: %+v, %v", desc, err)
	}
	list, err := kc.ListStreamConsumers(ctx, &kinesis.ListStreamConsumersInput{StreamARN: streamARN})
	if err != nil || len(list.Consumers) != 1 || aws.ToString(list.Consumers[0].ConsumerName) != "app" {
		t.Fatalf("ListStreamConsumers: %+v, %v", list, err)
	}
	if _, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: streamARN,
		ConsumerName: aws.String("app")}); apiCode(err) != "ResourceInUseException" {
		t.Fatalf("registering twice: %v", err)
	}
	if _, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: streamARN,
		ConsumerName: aws.String("no spaces")}); apiCode(err) != "ValidationException" {
		t.Fatalf("a bad name: %v", err)
	}

	const total = 200
	for i := range total / 2 {
		if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"),
			Data: fmt.Appendf(nil, "r-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: consumerARN,
		ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatalf("SubscribeToShard: %v", err)
	}
	stream := sub.GetStream()
	defer stream.Close()

	// A second session for the same consumer and shard is refused while this one is open.
	if _, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: consumerARN,
		ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}}); apiCode(err) != "ResourceInUseException" {
		t.Fatalf("a second subscription: %v", err)
	}

	go func() { // the second half arrives while the session is open: pushed, not polled
		for i := total / 2; i < total; i++ {
			kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"),
				Data: fmt.Appendf(nil, "r-%03d", i)})
		}
	}()
	got := 0
	var continuation string
	timeout := time.After(30 * time.Second)
	for got < total {
		select {
		case ev, ok := <-stream.Events():
			if !ok {
				t.Fatalf("the stream ended after %d records: %v", got, stream.Err())
			}
			e, isEvent := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
			if !isEvent {
				t.Fatalf("unexpected event %T", ev)
			}
			for _, r := range e.Value.Records {
				if want := fmt.Sprintf("r-%03d", got); string(r.Data) != want {
					t.Fatalf("record %d is %q, want %q", got, r.Data, want)
				}
				got++
			}
			continuation = aws.ToString(e.Value.ContinuationSequenceNumber)
		case <-timeout:
			t.Fatalf("only %d of %d records arrived", got, total)
		}
	}
	if continuation == "" {
		t.Fatal("no continuation sequence number")
	}
	stream.Close()

	if _, err := kc.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: consumerARN}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: consumerARN}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("describing a deregistered consumer: %v", err)
	}
}

// TestSubscribeToShardInCBOR: a CBOR request (the Java SDK's and KCL's) gets CBOR event payloads with raw blobs,
// framed as event-stream messages.
func TestSubscribeToShardInCBOR(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true, SubscriptionDuration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := New(eng, Options{})
	var empty map[string]any
	cborCall(t, h, "CreateStream", map[string]any{"StreamName": "c", "ShardCount": 1}, &empty)
	cborCall(t, h, "PutRecord", map[string]any{"StreamName": "c", "PartitionKey": "k", "Data": []byte{0, 1, 2, 255}}, &empty)
	var reg struct{ Consumer struct{ ConsumerARN string } }
	cborCall(t, h, "RegisterStreamConsumer", map[string]any{"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/c",
		"ConsumerName": "java-app"}, &reg)

	body, _ := cbor.Marshal(map[string]any{"ConsumerARN": reg.Consumer.ConsumerARN, "ShardId": "shardId-000000000000",
		"StartingPosition": map[string]any{"Type": "TRIM_HORIZON"}})
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.SubscribeToShard")
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req) // the session ends by itself after 200 ms
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.amazon.eventstream" {
		t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	}
	dec := eventstream.NewDecoder()
	var types []string
	var records []struct{ Data []byte }
	for rec.Body.Len() > 0 {
		msg, err := dec.Decode(rec.Body, nil)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, msg.Headers.Get(":event-type").String())
		if ct := msg.Headers.Get(":content-type").String(); ct != "application/x-amz-cbor-1.1" {
			t.Fatalf("payload content type %q", ct)
		}
		var ev struct{ Records []struct{ Data []byte } }
		if err := cbor.Unmarshal(msg.Payload, &ev); err != nil {
			t.Fatalf("payload is not CBOR: %v", err)
		}
		records = append(records, ev.Records...)
	}
	if len(types) < 2 || types[0] != "initial-response" || types[1] != "SubscribeToShardEvent" {
		t.Fatalf("event types %v", types)
	}
	if len(records) != 1 || !bytes.Equal(records[0].Data, []byte{0, 1, 2, 255}) {
		t.Fatalf("records %+v", records)
	}
}

// TestSubscribeToShardOverTLS: the same event stream over HTTP/2 with TLS, as `serve --tls` offers it.
func TestSubscribeToShardOverTLS(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	api := New(eng, Options{})
	srv := httptest.NewUnstartedServer(api)
	srv.EnableHTTP2 = true
	srv.Config.RegisterOnShutdown(api.EndSubscriptions)
	srv.StartTLS()
	defer srv.Close()
	base := srv.Client().Transport // trusts the test server's certificate, speaks HTTP/2
	var proto string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(r)
		if err == nil {
			proto = resp.Proto
		}
		return resp, err
	})}
	kc := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), RetryMaxAttempts: 1,
		HTTPClient: client})
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("tls"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	reg, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/tls"), ConsumerName: aws.String("tls-app")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: reg.Consumer.ConsumerARN,
		ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	if err != nil {
		t.Fatal(err)
	}
	if proto != "HTTP/2.0" {
		t.Fatalf("SubscribeToShard went over %s, want HTTP/2.0", proto)
	}
	stream := sub.GetStream()
	defer stream.Close()
	if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("tls"), PartitionKey: aws.String("k"),
		Data: []byte("over tls")}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-stream.Events():
		e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok || len(e.Value.Records) != 1 || string(e.Value.Records[0].Data) != "over tls" {
			t.Fatalf("event %#v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event over TLS")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
