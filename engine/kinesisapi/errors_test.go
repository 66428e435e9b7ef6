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
			"'!!' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 2"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":"!!!!"}`, 400, "SerializationException",
			"'!!!!' can not be converted to a Blob: Invalid Base64 character: '!'"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":"+/+="}`, 400, "SerializationException",
			"'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":"aG=k"}`, 400, "SerializationException",
			"'aG=k' can not be converted to a Blob: Invalid Base64 character: '='"},
		{"PutRecord", `{"StreamName":"nope","PartitionKey":"k","Data":"a\/8="}`, 400, "ResourceNotFoundException", // an escaped / is a /
			"Stream nope under account 000000000000 not found."},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":[104,105]}`, 400, "SerializationException",
			"Start of list found where not expected"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":[]}`, 400, "SerializationException",
			"Start of list found where not expected"},
		{"PutRecord", `{"StreamName":"demo","PartitionKey":"k","Data":12}`, 400, "SerializationException",
			"class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
		{"PutRecords", `{"StreamName":"demo","Records":[{"PartitionKey":"k","Data":[104,105]}]}`, 400, "SerializationException",
			"Start of list found where not expected"},
		{"PutRecords", `{"StreamName":"demo","Records":[{"PartitionKey":"k","Data":"+/+="}]}`, 400, "SerializationException",
			"'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
		{"GetShardIterator", `{"StreamName":"demo","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":"23"}`,
			400, "SerializationException", "class java.lang.String can not be converted to milliseconds since epoch"},
		{"GetShardIterator", `{"StreamName":"demo","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":true}`,
			400, "SerializationException", "class java.lang.Boolean can not be converted to milliseconds since epoch"},
		{"DescribeStream", `{"StreamName":""}`, 400, "ValidationException", "2 validation errors detected: " +
			"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"DescribeStream", `{"StreamName":"demo","ExclusiveStartShardId":""}`, 400, "ValidationException", "2 validation errors detected: " +
			"Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
			"Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"GetShardIterator", `{"StreamName":"demo","ShardId":"shardId-000000000000","ShardIteratorType":""}`, 400, "ValidationException",
			"1 validation error detected: Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: " +
				"[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"},
		{"IncreaseStreamRetentionPeriod", `{"StreamName":"demo"}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy constraint: Member must not be null"},
		{"DescribeStream", `{"StreamName":null}`, 400, "InvalidArgumentException", "Either StreamName or StreamARN must be provided."},
		{"DescribeStream", `{}`, 400, "InvalidArgumentException", "Either StreamName or StreamARN must be provided."},
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

// TestEmptyMembersOfEveryKind: "" is checked for the members an action has, in JSON and CBOR alike; a member the
// action does not have is ignored, as AWS ignores it.
func TestEmptyMembersOfEveryKind(t *testing.T) {
	type empty struct{ action, member, want string }
	cases := []empty{
		{"DescribeStream", "StreamName", "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"DescribeStreamSummary", "StreamARN", "Value '' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis"},
		{"ListShards", "ExclusiveStartShardId", "at 'exclusiveStartShardId'"},
		{"ListShards", "NextToken", "Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"ListStreams", "ExclusiveStartStreamName", "at 'exclusiveStartStreamName'"},
		{"ListTagsForStream", "ExclusiveStartTagKey", "Value '' at 'exclusiveStartTagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"GetRecords", "ShardIterator", "Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"PutRecord", "PartitionKey", "at 'partitionKey'"},
		{"PutRecord", "ExplicitHashKey", "Value '' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"PutRecord", "SequenceNumberForOrdering", "at 'sequenceNumberForOrdering'"},
		{"SplitShard", "ShardToSplit", "at 'shardToSplit'"},
		{"SplitShard", "NewStartingHashKey", "at 'newStartingHashKey'"},
		{"MergeShards", "AdjacentShardToMerge", "at 'adjacentShardToMerge'"},
		{"StartStreamEncryption", "KeyId", "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"StartStreamEncryption", "EncryptionType", "Value '' at 'encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, KMS]"},
		{"RegisterStreamConsumer", "ConsumerName", "at 'consumerName'"},
		{"DescribeStreamConsumer", "ConsumerARN", "at 'consumerARN'"},
		{"UpdateShardCount", "ScalingType", "Value '' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]"},
	}
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := New(eng, Options{})
	for _, c := range cases {
		for _, cbor := range []bool{false, true} {
			body := map[string]any{"StreamName": "demo", c.member: ""}
			var code int
			var e errorBody
			if cbor {
				code = cborCall(t, h, c.action, body, &e)
			} else {
				b, _ := json.Marshal(body)
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(b)))
				req.Header.Set("X-Amz-Target", targetPrefix+c.action)
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				code = rec.Code
				json.Unmarshal(rec.Body.Bytes(), &e)
			}
			if code != 400 || e.Type != "ValidationException" || !strings.Contains(e.Message, c.want) {
				t.Errorf("%s %s \"\" (CBOR %v): %d %s %q, want ValidationException with %q", c.action, c.member, cbor, code, e.Type, e.Message, c.want)
			}
		}
	}
	// a member DescribeStream does not have is ignored, "" or not: the stream is not found, as without it
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"StreamName":"demo","ShardIterator":""}`))
	req.Header.Set("X-Amz-Target", targetPrefix+"DescribeStream")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "ResourceNotFoundException") {
		t.Errorf("an unknown empty member: %d %s", rec.Code, rec.Body)
	}
}
