package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
)

// TestServeWithAuthVerify runs `serve --auth verify` with root keys from the environment and calls it with the Go
// SDK: the right secret works, a wrong one gets InvalidSignatureException, no signature at all
// MissingAuthenticationTokenException.
func TestServeWithAuthVerify(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIATESTROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "test/secret")
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authVerify}
	endpoint, _, _ := startServe(t, cfg)
	client := func(secret string) *kinesis.Client {
		return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
			Credentials:      credentials.NewStaticCredentialsProvider("AKIATESTROOT", secret, ""),
			RetryMaxAttempts: 1})
	}
	ctx := context.Background()
	if _, err := client("test/secret").ListStreams(ctx, &kinesis.ListStreamsInput{}); err != nil {
		t.Fatalf("the root key was refused: %v", err)
	}
	var ae smithy.APIError
	if _, err := client("wrong").ListStreams(ctx, &kinesis.ListStreamsInput{}); !errors.As(err, &ae) || ae.ErrorCode() != auth.InvalidSignature {
		t.Errorf("a wrong secret: %v", err)
	}
	status, body, _ := call(t, &http.Client{}, endpoint, "ListStreams", "{}")
	if status != http.StatusBadRequest || !strings.Contains(body, auth.MissingAuthenticationToken) {
		t.Errorf("no signature: %d %s", status, body)
	}
}

func TestServingBeyondLoopbackNeedsVerifyOrInsecure(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-addr", "0.0.0.0:4567"}, false},
		{[]string{"-addr", "0.0.0.0:4567", "-auth", "verify"}, true},
		{[]string{"-addr", "0.0.0.0:4567", "-insecure"}, true},
		{[]string{"-addr", "127.0.0.1:4567"}, true},
		{[]string{"-addr", "[::1]:4567"}, true},
		{[]string{"-addr", "localhost:4567"}, true},
		{[]string{"-auth", "maybe"}, false},
	} {
		_, err := parseServeFlags(c.args)
		if (err == nil) != c.ok {
			t.Errorf("serve %v: %v", c.args, err)
		}
	}
	if _, err := parseGUIFlags([]string{"-api", "0.0.0.0:4567"}); err == nil || !strings.Contains(err.Error(), "Signatures is off") {
		t.Errorf("gui on 0.0.0.0 without --insecure: %v", err)
	}
	if _, err := parseGUIFlags([]string{"-api", "0.0.0.0:4567", "-insecure"}); err != nil {
		t.Errorf("gui with --insecure: %v", err)
	}
}

// TestAuthVerifyCoversSubscribeToShardAndCBOR: an enhanced fan-out session signed with the root key streams its
// records through the signature check, and a CBOR call with a wrong secret is refused in CBOR, as the Java SDK
// expects its errors.
func TestAuthVerifyCoversSubscribeToShardAndCBOR(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIATESTROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "test/secret")
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authVerify, transition: time.Millisecond}
	endpoint, _, _ := startServe(t, cfg)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	kc := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIATESTROOT", "test/secret", ""), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: tr}})
	ctx := context.Background()
	name := aws.String("efo")
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // CREATING lasts a millisecond here
	sum, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := kc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: sum.StreamDescriptionSummary.StreamARN,
		ConsumerName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"), Data: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) { // CREATING, then ACTIVE
		d, err := kc.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: reg.Consumer.ConsumerARN})
		if err == nil && d.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer did not become ACTIVE: %v", err)
		}
	}
	sub, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: reg.Consumer.ConsumerARN,
		ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatalf("SubscribeToShard signed with the root key: %v", err)
	}
	stream := sub.GetStream()
	defer stream.Close()
	select {
	case ev := <-stream.Events():
		e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok || len(e.Value.Records) != 1 || string(e.Value.Records[0].Data) != "hello" {
			t.Fatalf("first event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}

	body := []byte{0xa1, 0x6a, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x63, 'e', 'f', 'o'} // {"StreamName": "efo"}
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.DescribeStreamSummary")
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	sha := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIATESTROOT", SecretAccessKey: "wrong"}, req,
		hex.EncodeToString(sha[:]), "kinesis", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("x-amzn-ErrorType") != auth.InvalidSignature ||
		resp.Header.Get("Content-Type") != "application/x-amz-cbor-1.1" {
		t.Errorf("a CBOR call with a wrong secret: %d %s %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("Content-Type"))
	}
}

// TestInAppAPISignaturesSwitchWhileServing: Settings turns checking on and off while the in-app API serves.
func TestInAppAPISignaturesSwitchWhileServing(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIAAPPROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "app/secret")
	eng := openTestEngine(t)
	access, err := openAccess(context.Background(), eng, "000000000000")
	if err != nil {
		t.Fatal(err)
	}
	api := startInAppAPI(eng, "127.0.0.1:0", nil, nil, access, nil)
	defer api.stop()
	api.dataDir, api.account = t.TempDir(), "000000000000"
	endpoint := api.status().Endpoint
	if status, _, _ := call(t, &http.Client{}, endpoint, "ListStreams", "{}"); status != http.StatusOK {
		t.Fatalf("signatures off, an unsigned call: %d", status)
	}
	if err := api.setAuth(authVerify); err != nil {
		t.Fatal(err)
	}
	if st := api.status(); st.Auth != authVerify || st.RootAccessKeyID != "AKIAAPPROOT" || st.RootSecret != "app/secret" {
		t.Errorf("status while verifying: %+v", st)
	}
	if status, body, _ := call(t, &http.Client{}, endpoint, "ListStreams", "{}"); status != http.StatusBadRequest ||
		!strings.Contains(body, auth.MissingAuthenticationToken) {
		t.Errorf("signatures on, an unsigned call: %d %s", status, body)
	}
	kc := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAAPPROOT", "app/secret", ""), RetryMaxAttempts: 1})
	if _, err := kc.ListStreams(context.Background(), &kinesis.ListStreamsInput{}); err != nil {
		t.Errorf("signatures on, the root key: %v", err)
	}
	if err := api.setAuth(authOff); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := call(t, &http.Client{}, endpoint, "ListStreams", "{}"); status != http.StatusOK {
		t.Errorf("signatures off again, an unsigned call: %d", status)
	}
}

func openTestEngine(t *testing.T) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}
