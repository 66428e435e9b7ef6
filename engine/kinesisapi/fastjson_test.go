package kinesisapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzFastPutRecordsMatchesEncodingJSON holds the fast path to encoding/json: whenever it accepts a body, it must
// produce exactly what encoding/json produces.
func FuzzFastPutRecordsMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"}]}`,
		`{"Records":[],"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}`,
		` { "Records" : [ { "PartitionKey" : "k" , "Data" : "" , "ExplicitHashKey" : "1" } ] } `,
		`{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k","Data":"eA=="}]}`,
		`{"StreamName":"\u0041","Records":null}`, `{"streamname":"s"}`, `{"Records":[{"Data":"a\nGk="}]}`,
		`{"StreamName":"s"}x`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastPutRecords(body)
		if !ok {
			return
		}
		var slow putRecordsIn
		d := json.NewDecoder(bytes.NewReader(body))
		if err := d.Decode(&slow); err != nil || d.More() {
			t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", body, err)
		}
		fast.release() // the pooled buffer is bookkeeping, not decoded content
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("for %q\nfast: %#v\nslow: %#v", body, fast, slow)
		}
	})
}

func TestFastPathTakesTheBenchmarkShape(t *testing.T) {
	if _, ok := fastPutRecords(putRecordsBody(t)); !ok {
		t.Fatal("the fast path refused a plain PutRecords body")
	}
}
