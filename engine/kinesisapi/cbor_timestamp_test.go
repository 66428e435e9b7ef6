package kinesisapi

import (
	"bytes"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/eventstream"
	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine"
)

// A fixed instant keeps these cases from depending on today's date: the bug they pin passed or failed with the
// calendar, because a misread timestamp wrapped around the sequence-number counter.
var fixedInstant = time.Date(2026, time.December, 7, 2, 3, 4, 567_000_000, time.UTC)

// The forms a timestamp member arrives in over CBOR.
func javaMillis(t time.Time) cbor.Tag { return cbor.Tag{Number: 1, Content: t.UnixMilli()} }
func floatSeconds(t time.Time) cbor.Tag {
	return cbor.Tag{Number: 1, Content: float64(t.UnixMilli()) / 1000}
}
func intSeconds(t time.Time) cbor.Tag { return cbor.Tag{Number: 1, Content: t.Unix()} }

func TestCBORTimestampForms(t *testing.T) {
	whole := fixedInstant.Truncate(time.Second)
	cases := []struct {
		name string
		in   any
		want time.Time
	}{
		{"tag 1, integer milliseconds (Java SDK v1/v2, KCL)", javaMillis(fixedInstant), fixedInstant},
		{"tag 1, float seconds (RFC 8949, Smithy RPC v2)", floatSeconds(fixedInstant), fixedInstant},
		{"tag 1, float32 seconds", cbor.Tag{Number: 1, Content: float32(1 << 30)}, time.Unix(1<<30, 0)},
		{"tag 1, integer seconds", intSeconds(fixedInstant), whole},
		{"tag 1, negative milliseconds", cbor.Tag{Number: 1, Content: int64(-1e12)}, time.UnixMilli(-1e12)},
		{"tag 0, RFC 3339 text", cbor.Tag{Number: 0, Content: fixedInstant.Format(time.RFC3339Nano)}, fixedInstant},
		{"no tag, integer milliseconds", fixedInstant.UnixMilli(), fixedInstant},
		{"no tag, float seconds", float64(fixedInstant.UnixMilli()) / 1000, fixedInstant},
	}
	for _, c := range cases {
		b, err := cbor.Marshal(c.in)
		if err != nil {
			t.Fatal(err)
		}
		var got timestamp
		if err := got.UnmarshalCBOR(b); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("%s: read as %s, want %s", c.name, got.UTC(), c.want)
		}
	}
	bad := []struct {
		name string
		in   any
	}{
		{"tag 2 (a bignum)", cbor.Tag{Number: 2, Content: []byte{1}}},
		{"NaN", cbor.Tag{Number: 1, Content: math.NaN()}},
		{"infinity", cbor.Tag{Number: 1, Content: math.Inf(1)}},
		{"past the year 9999", cbor.Tag{Number: 1, Content: uint64(math.MaxUint64)}},
		{"a map", cbor.Tag{Number: 1, Content: map[string]int{"a": 1}}},
		{"text that is no time", cbor.Tag{Number: 0, Content: "yesterday"}},
	}
	for _, c := range bad {
		b, err := cbor.Marshal(c.in)
		if err != nil {
			t.Fatal(err)
		}
		var got timestamp
		if err := got.UnmarshalCBOR(b); err == nil {
			t.Errorf("%s: accepted as %s", c.name, got.UTC())
		}
	}
}

// TestCBORTimestampMembers sends every timestamp member of every action in the two forms a CBOR client uses and
// checks the action read the time the client meant.
func TestCBORTimestampMembers(t *testing.T) {
	forms := []struct {
		name string
		of   func(time.Time) cbor.Tag
	}{{"integer milliseconds", javaMillis}, {"float seconds", floatSeconds}}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			eng, err := engine.Open(engine.Options{InMemory: true, SubscriptionDuration: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			h := New(eng, Options{})
			var empty map[string]any
			cborCall(t, h, "CreateStream", map[string]any{"StreamName": "c", "ShardCount": 1}, &empty)
			var summary struct {
				StreamDescriptionSummary struct {
					StreamARN               string
					StreamCreationTimestamp cbor.Tag
				}
			}
			cborCall(t, h, "DescribeStreamSummary", map[string]any{"StreamName": "c"}, &summary)
			arn := summary.StreamDescriptionSummary.StreamARN
			created := time.UnixMilli(int64(summary.StreamDescriptionSummary.StreamCreationTimestamp.Content.(uint64)))

			time.Sleep(5 * time.Millisecond)
			before := time.Now().Truncate(time.Millisecond)
			time.Sleep(5 * time.Millisecond)
			var put struct{ ShardId string }
			cborCall(t, h, "PutRecord", map[string]any{"StreamName": "c", "PartitionKey": "k", "Data": []byte("r1")}, &put)
			time.Sleep(5 * time.Millisecond)
			after := time.Now().Truncate(time.Millisecond).Add(time.Millisecond)
			time.Sleep(5 * time.Millisecond) // after is in the past: a time still to come is refused

			t.Run("GetShardIterator Timestamp", func(t *testing.T) {
				read := func(at time.Time) int {
					var it struct{ ShardIterator string }
					if code := cborCall(t, h, "GetShardIterator", map[string]any{"StreamName": "c", "ShardId": put.ShardId,
						"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": form.of(at)}, &it); code != 200 {
						t.Fatalf("GetShardIterator: %d", code)
					}
					var recs struct{ Records []struct{ Data []byte } }
					cborCall(t, h, "GetRecords", map[string]any{"ShardIterator": it.ShardIterator}, &recs)
					return len(recs.Records)
				}
				if n := read(before); n != 1 {
					t.Errorf("AT_TIMESTAMP before the record read %d records, want 1", n)
				}
				if n := read(after); n != 0 {
					t.Errorf("AT_TIMESTAMP after the record read %d records, want 0", n)
				}
			})

			t.Run("ListShards StreamCreationTimestamp", func(t *testing.T) {
				var out struct{ Shards []struct{ ShardId string } }
				if code := cborCall(t, h, "ListShards", map[string]any{"StreamName": "c",
					"StreamCreationTimestamp": form.of(created)}, &out); code != 200 || len(out.Shards) != 1 {
					t.Fatalf("the stream's own creation time: %d, %d shards", code, len(out.Shards))
				}
				var errBody struct {
					Type string `cbor:"__type"`
				}
				if code := cborCall(t, h, "ListShards", map[string]any{"StreamName": "c",
					"StreamCreationTimestamp": form.of(created.Add(-time.Hour))}, &errBody); code != 400 ||
					errBody.Type != "ResourceNotFoundException" {
					t.Fatalf("another creation time: %d %+v", code, errBody)
				}
			})

			t.Run("ListStreamConsumers StreamCreationTimestamp", func(t *testing.T) {
				cborCall(t, h, "RegisterStreamConsumer", map[string]any{"StreamARN": arn, "ConsumerName": "java-app"}, &empty)
				var out struct {
					Consumers []struct{ ConsumerName string }
				}
				if code := cborCall(t, h, "ListStreamConsumers", map[string]any{"StreamARN": arn,
					"StreamCreationTimestamp": form.of(created)}, &out); code != 200 || len(out.Consumers) != 1 {
					t.Fatalf("the stream's own creation time: %d %+v", code, out)
				}
				var errBody struct {
					Type string `cbor:"__type"`
				}
				if code := cborCall(t, h, "ListStreamConsumers", map[string]any{"StreamARN": arn,
					"StreamCreationTimestamp": form.of(created.Add(-time.Hour))}, &errBody); code != 400 ||
					errBody.Type != "ResourceNotFoundException" {
					t.Fatalf("another creation time: %d %+v", code, errBody)
				}
			})

			t.Run("SubscribeToShard StartingPosition.Timestamp", func(t *testing.T) {
				var desc struct {
					ConsumerDescription struct{ ConsumerARN, ConsumerStatus string }
				}
				deadline := time.Now().Add(10 * time.Second)
				for desc.ConsumerDescription.ConsumerStatus != "ACTIVE" && time.Now().Before(deadline) {
					cborCall(t, h, "DescribeStreamConsumer", map[string]any{"StreamARN": arn, "ConsumerName": "java-app"}, &desc)
					time.Sleep(10 * time.Millisecond)
				}
				subscribe := func(at time.Time) int {
					body, _ := cbor.Marshal(map[string]any{"ConsumerARN": desc.ConsumerDescription.ConsumerARN, "ShardId": put.ShardId,
						"StartingPosition": map[string]any{"Type": "AT_TIMESTAMP", "Timestamp": form.of(at)}})
					req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
					req.Header.Set("X-Amz-Target", targetPrefix+"SubscribeToShard")
					req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req) // the session ends by itself after 200 ms
					if rec.Code != 200 {
						t.Fatalf("SubscribeToShard: %d %s", rec.Code, rec.Body.Bytes())
					}
					n := 0
					dec := eventstream.NewDecoder()
					for rec.Body.Len() > 0 {
						msg, err := dec.Decode(rec.Body, nil)
						if err != nil {
							t.Fatal(err)
						}
						var ev struct{ Records []struct{ Data []byte } }
						if err := cbor.Unmarshal(msg.Payload, &ev); err != nil {
							t.Fatal(err)
						}
						n += len(ev.Records)
					}
					return n
				}
				if n := subscribe(before); n != 1 {
					t.Errorf("AT_TIMESTAMP before the record pushed %d records, want 1", n)
				}
				if n := subscribe(after); n != 0 {
					t.Errorf("AT_TIMESTAMP after the record pushed %d records, want 0", n)
				}
			})

			t.Run("ListShards ShardFilter.Timestamp", func(t *testing.T) {
				time.Sleep(5 * time.Millisecond)
				beforeSplit := time.Now().Truncate(time.Millisecond)
				time.Sleep(5 * time.Millisecond)
				if code := cborCall(t, h, "SplitShard", map[string]any{"StreamName": "c", "ShardToSplit": put.ShardId,
					"NewStartingHashKey": "170141183460469231731687303715884105728"}, &empty); code != 200 {
					t.Fatalf("SplitShard: %d", code)
				}
				ids := func(filterType string, at time.Time) string {
					var out struct{ Shards []struct{ ShardId string } }
					cborCall(t, h, "ListShards", map[string]any{"StreamName": "c",
						"ShardFilter": map[string]any{"Type": filterType, "Timestamp": form.of(at)}}, &out)
					var names []string
					for _, s := range out.Shards {
						names = append(names, s.ShardId)
					}
					return strings.Join(names, " ")
				}
				if got := ids("AT_TIMESTAMP", beforeSplit); got != put.ShardId {
					t.Errorf("AT_TIMESTAMP before the split lists %q, want the parent %s alone", got, put.ShardId)
				}
				if got := ids("FROM_TIMESTAMP", beforeSplit); strings.Count(got, "shardId-") != 3 {
					t.Errorf("FROM_TIMESTAMP before the split lists %q, want the parent and both children", got)
				}
			})
		})
	}
}
