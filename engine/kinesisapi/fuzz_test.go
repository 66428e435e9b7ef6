package kinesisapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine"
)

// fuzzServer answers arbitrary bodies for every action; nothing may panic, and every answer must be a Kinesis
// answer: 200, or an error status with a __type.
func fuzzServer(f *testing.F, contentType string, seeds [][]byte) {
	// A valid subscription streams until its session ends: keep sessions short.
	eng, err := engine.Open(engine.Options{InMemory: true, SubscriptionDuration: 20 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { eng.Close() })
	n := 1
	_ = eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	h := New(eng, Options{MaxBodyBytes: 1 << 20})
	sum, _ := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "s"})
	_, _ = eng.RegisterStreamConsumer(ctx, sum.StreamARN, "c")
	names := []string{"SubscribeToShard"} // streamed, outside the table
	for name := range h.actions {
		names = append(names, name)
	}
	slices.Sort(names) // so a seed's action is the same from run to run
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		name := names[int(which)%len(names)]
		if name == "DeleteStream" {
			return // keep the stream the other actions use
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+name)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Header().Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%s answered %d without an error type: %s", name, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == http.StatusOK && name == "SubscribeToShard" && rec.Header().Get("Content-Type") != "application/vnd.amazon.eventstream" {
			t.Fatalf("%s answered %d without an error type: %s", name, rec.Code, rec.Body.Bytes())
		}
	})
}

func FuzzJSONRequests(f *testing.F) {
	fuzzServer(f, "application/x-amz-json-1.1", [][]byte{
		[]byte(`{"StreamName":"s","PartitionKey":"k","Data":"aGk="}`),
		[]byte(`{"StreamName":"s","Records":[{"PartitionKey":"k","Data":"aGk="}]}`),
		[]byte(`{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1.5e9}`),
		[]byte(`{"StreamName":1}`), []byte(`[`), []byte(`{"Limit":-1}`), []byte(`null`), []byte(``),
		[]byte(`{"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}}`),
		[]byte(`{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","ConsumerName":"c2"}`),
	})
}

func FuzzCBORRequests(f *testing.F) {
	seeds := [][]byte{
		{0xa1, 0x6a, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x61, 's'},
		{0xbf, 0xff}, {0x9f}, {0xc1, 0x1a, 0x5f, 0x5e, 0x10, 0x00}, {0xff},
	}
	// Every timestamp member, in the forms CBOR clients send: tag 1 with integer milliseconds or float seconds.
	at := time.Date(2026, time.December, 7, 0, 0, 0, 0, time.UTC)
	for _, stamp := range []cbor.Tag{{Number: 1, Content: at.UnixMilli()}, {Number: 1, Content: float64(at.Unix())}} {
		for _, in := range []map[string]any{
			{"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": stamp},
			{"StreamName": "s", "StreamCreationTimestamp": stamp, "ShardFilter": map[string]any{"Type": "FROM_TIMESTAMP", "Timestamp": stamp}},
			{"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "StreamCreationTimestamp": stamp},
			{"ConsumerARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1", "ShardId": "shardId-000000000000",
				"StartingPosition": map[string]any{"Type": "AT_TIMESTAMP", "Timestamp": stamp}},
		} {
			b, err := cbor.Marshal(in)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	fuzzServer(f, "application/x-amz-cbor-1.1", seeds)
}
