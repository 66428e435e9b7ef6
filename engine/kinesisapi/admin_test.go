package kinesisapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardlab/shardlab/engine"
)

func TestAdminFaultsReachSDKClients(t *testing.T) {
	_, url := startServer(t, engine.Options{})
	kc := client(url, "us-east-1", "AKIDEXAMPLE")
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("f"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	post := func(body string) (int, string) {
		resp, err := http.Post(url+AdminPrefix+"faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"stream":"f","throttleRate":1}`); code != 200 || !strings.Contains(body, `"throttleRate":1`) {
		t.Fatalf("POST faults: %d %s", code, body)
	}
	_, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("f"), PartitionKey: aws.String("k"), Data: []byte("x")})
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) {
		t.Fatalf("with throttleRate 1: %v", err)
	}
	if code, body := post(`{"stream":"f","serviceUnavailableRate":1}`); code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("f"), PartitionKey: aws.String("k"), Data: []byte("x")})
	if apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("with serviceUnavailableRate 1: %v", err)
	}
	// A shard's fault too: DELETE without a shard clears it along with the stream's.
	if code, body := post(`{"stream":"f","shard":"shardId-000000000000","latencyMs":5}`); code != 200 {
		t.Fatalf("POST shard fault: %d %s", code, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, url+AdminPrefix+"faults?stream=f", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"faults":[]`) {
		t.Fatalf("after DELETE without a shard: %s", body)
	}
	if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("f"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Fatalf("after clearing: %v", err)
	}
	if code, body := post(`{"stream":"f","throttleRate":2}`); code != 400 || !strings.Contains(body, "not a probability") {
		t.Fatalf("bad rate: %d %s", code, body)
	}
	if code, body := post(`{"stream":"f","bogus":1}`); code != 400 || !strings.Contains(body, "SerializationException") {
		t.Fatalf("unknown field: %d %s", code, body)
	}
}
