package firehoseapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
)

// FuzzFirehoseRequests: arbitrary bodies for every action never panic and always get a Firehose answer.
func FuzzFirehoseRequests(f *testing.F) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	mgr, err := delivery.OpenManager(eng)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { mgr.Close(); eng.Close() })
	h := New(eng, mgr, Options{BucketsDir: f.TempDir()})
	actions := []string{"CreateDeliveryStream", "DescribeDeliveryStream", "ListDeliveryStreams", "DeleteDeliveryStream",
		"PutRecord", "PutRecordBatch", "Bogus"}
	for i, s := range []string{`{"DeliveryStreamName":"d","ExtendedS3DestinationConfiguration":{"BucketARN":"arn:aws:s3:::b"}}`,
		`{"DeliveryStreamName":"d"}`, `{"Limit":0}`, `{"DeliveryStreamName":"d"}`,
		`{"DeliveryStreamName":"d","Record":{"Data":"aGk="}}`, `{"DeliveryStreamName":"d","Records":[{"Data":"!"}]}`, `[`} {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		action := actions[int(which)%len(actions)]
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", TargetPrefix+action)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Header().Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%s answered %d without an error type: %s", action, rec.Code, rec.Body.Bytes())
		}
	})
}
