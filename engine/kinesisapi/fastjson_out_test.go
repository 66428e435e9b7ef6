package kinesisapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func TestGetRecordsJSONMatchesEncodingJSON(t *testing.T) {
	at := timestamp{time.UnixMilli(1_795_663_732_877)}
	cases := []getRecordsOut{
		{Records: []record{}},
		{Records: []record{{SequenceNumber: "49018", ApproximateArrivalTimestamp: &at, Data: []byte{0, 1, 255},
			PartitionKey: "user-1", EncryptionType: "NONE"}, {SequenceNumber: "49019", Data: []byte{},
			PartitionKey: "ключ \"<&>\"\n\t\\", EncryptionType: "KMS"}},
			NextShardIterator: "AQAAAAAA-_", MillisBehindLatest: 1234},
		{Records: []record{}, ChildShards: []childShard{{ShardId: "shardId-000000000001",
			ParentShards: []string{"shardId-000000000000"}, HashKeyRange: hashKeyRange{"0", "10"}}}},
	}
	for i, c := range cases {
		want, _ := json.Marshal(c)
		if got := c.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestPutRecordsJSONMatchesEncodingJSON(t *testing.T) {
	cases := []putRecordsOut{
		{Records: []putRecordsResult{}},
		{FailedRecordCount: 1, EncryptionType: "KMS", Records: []putRecordsResult{
			{SequenceNumber: "4901", ShardId: "shardId-000000000001"},
			{ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "Rate exceeded for shard x in stream <s> & \"q\"."},
		}},
	}
	for i, c := range cases {
		want, _ := json.Marshal(c)
		if got := c.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestEpochSecondsMatchAppendFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(ms int64) {
		want := strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64)
		if got := appendEpochSeconds(nil, ms); !bytes.Equal(got, want) {
			t.Fatalf("%d ms: %s, want %s", ms, got, want)
		}
	}
	for _, ms := range []int64{0, 1, 10, 100, 999, 1000, 1001, 1010, 1100, 1764133000120, 1e15 - 1, 1e15, -1, -1500} {
		check(ms)
	}
	for range 1_000_000 {
		check(rng.Int64N(1e15))
		check(1_700_000_000_000 + rng.Int64N(1e12))
	}
}
