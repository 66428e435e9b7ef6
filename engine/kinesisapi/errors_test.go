package kinesisapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
)

// Bad requests get the status, __type and message Kinesis sends (checked against kinesalite 3.3.3 where it
// follows AWS), and change nothing.
func TestErrorsAsKinesisSendsThem(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := New(eng, Options{MaxBodyBytes: 1 << 20})
	post := func(action, body string) (int, errorBody) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var e errorBody
		json.Unmarshal(rec.Body.Bytes(), &e)
		return rec.Code, e
	}
	if code, _ := post("CreateStream", `{"StreamName":"demo","ShardCount":2}`); code != 200 {
		t.Fatal("CreateStream failed")
	}
	cases := []struct {
		action, body string
		status       int
		typ, msg     string
	}{
		{"PutRecord", `{"StreamName":"demo","Data":"aGk="}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'partitionKey' failed to satisfy constraint: Member must not be null"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k"}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'data' failed to satisfy constraint: Member must not be null"},
		{"PutRecords", `{"StreamName":"demo","Records":[]}`, 400, "ValidationException",
			"1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"GetRecords", `{"ShardIterator":"abc"}`, 400, "InvalidArgumentException", "Invalid ShardIterator."},
		{"DescribeStream", `{"StreamName":"missing"}`, 400, "ResourceNotFoundException",
			"Stream missing under account 000000000000 not found."},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":"aGk=","ExplicitHashKey":"999999999999999999999999999999999999999"}`,
			400, "InvalidArgumentException", "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 999999999999999999999999999999999999999"},
		{"GetShardIterator", `{"StreamName":"demo","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER"}`,
			400, "InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."},
		{"CreateStream", `{"StreamName":"demo","ShardCount":1}`, 400, "ResourceInUseException",
			"Stream demo under account 000000000000 already exists."},
		{"ListStreams", `{"Limit":"x"}`, 400, "SerializationException", "STRING_VALUE cannot be converted to int at 'Limit'"},
		{"ListStreams", `{`, 400, "SerializationException", "the body is not valid JSON: it ends before the document does"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":"!!"}`, 400, "SerializationException",
			"a blob member (Data) is not valid base64: bad byte at offset 0"},
		{"Nope", `{}`, 400, "UnknownOperationException", ""},
		{"PutRecords", `{"StreamName":"demo","Records":[{"PartitionKey":"k","Data":"` + strings.Repeat("A", 2<<20) + `"}]}`,
			413, "SerializationException", "Request body of 2097216 bytes or more is over the limit of 1048576 bytes."},
	}
	for _, c := range cases {
		status, got := post(c.action, c.body)
		if status != c.status || got.Type != c.typ || got.Message != c.msg {
			t.Errorf("%s %.60s:\n got %d %s %q\nwant %d %s %q", c.action, c.body, status, got.Type, got.Message,
				c.status, c.typ, c.msg)
		}
	}
	d, _ := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "demo"})
	if d.OpenShardCount != 2 {
		t.Fatal("a refused call changed the stream")
	}
}
