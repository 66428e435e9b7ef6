package kinesisapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine"
)

// cborCall posts a CBOR request, as the Java SDK and KCL do, and decodes the CBOR answer.
func cborCall(t *testing.T, h http.Handler, action string, in any, out any) int {
	t.Helper()
	body, err := cbor.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+action)
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-amz-cbor-1.1" {
		t.Fatalf("%s answered in %s", action, ct)
	}
	if err := cbor.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%s: answer is not CBOR: %v", action, err)
	}
	return rec.Code
}

func TestCBORRoundTrip(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := New(eng, Options{})
	var empty map[string]any
	if code := cborCall(t, h, "CreateStream", map[string]any{"StreamName": "c", "ShardCount": 1}, &empty); code != 200 {
		t.Fatalf("CreateStream: %d", code)
	}
	payload := []byte{0, 1, 2, 0xff, 'b', 'i', 'n'}
	var put struct{ ShardId, SequenceNumber string }
	if code := cborCall(t, h, "PutRecord", map[string]any{"StreamName": "c", "PartitionKey": "k", "Data": payload}, &put); code != 200 {
		t.Fatalf("PutRecord: %d", code)
	}
	// The Java SDK sends timestamps as tag 1 with epoch milliseconds.
	since := cbor.Tag{Number: 1, Content: time.Now().Add(-time.Minute).UnixMilli()}
	var it struct{ ShardIterator string }
	cborCall(t, h, "GetShardIterator", map[string]any{"StreamName": "c", "ShardId": put.ShardId,
		"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": since}, &it)
	var raw map[string]cbor.RawMessage
	cborCall(t, h, "GetRecords", map[string]any{"ShardIterator": it.ShardIterator}, &raw)
	var recs []map[string]cbor.RawMessage
	if err := cbor.Unmarshal(raw["Records"], &recs); err != nil || len(recs) != 1 {
		t.Fatalf("Records: %v (%d)", err, len(recs))
	}
	var data []byte
	var arrival cbor.Tag
	cbor.Unmarshal(recs[0]["Data"], &data)
	if err := cbor.Unmarshal(recs[0]["ApproximateArrivalTimestamp"], &arrival); err != nil || arrival.Number != 1 {
		t.Fatalf("ApproximateArrivalTimestamp is not tag 1: %v %+v", err, arrival)
	}
	if !bytes.Equal(data, payload) {
		t.Fatalf("Data round-tripped as %x, want raw bytes %x", data, payload)
	}
	ms, _ := arrival.Content.(uint64)
	if d := time.Since(time.UnixMilli(int64(ms))); d < 0 || d > time.Minute {
		t.Fatalf("arrival %d ms is not epoch milliseconds of now", ms)
	}
	var errBody struct {
		Type    string `cbor:"__type"`
		Message string `cbor:"message"`
	}
	if code := cborCall(t, h, "DescribeStream", map[string]any{"StreamName": "missing"}, &errBody); code != 400 ||
		errBody.Type != "ResourceNotFoundException" {
		t.Fatalf("CBOR error: %d %+v", code, errBody)
	}
}
