package kinesisapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/shardlab/shardlab/internal/bufpool"
)

// putRecordsBody is a PutRecords request of 500 records of 1 KiB, as the benchmarks send it.
func putRecordsBody(b testing.TB) []byte {
	type entry struct {
		Data         []byte
		PartitionKey string
	}
	var in struct {
		StreamName string
		Records    []entry
	}
	in.StreamName = "bench"
	for i := range 500 {
		in.Records = append(in.Records, entry{Data: make([]byte, 1024), PartitionKey: fmt.Sprintf("user-%06d", i)})
	}
	body, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodePutRecordsJSON(b *testing.B) {
	body := putRecordsBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var in putRecordsIn
		if err := formatJSON.decode(body, &in); err != nil || len(in.Records) != 500 {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGetRecordsJSON(b *testing.B) {
	recs := make([]record, 10000)
	for i := range recs {
		recs[i] = record{SequenceNumber: "4901882889895005913088000000000001", Data: make([]byte, 1024),
			PartitionKey: fmt.Sprintf("user-%06d", i)}
	}
	out := &getRecordsOut{Records: recs, NextShardIterator: "AQAAAAAAAAABAAAABgAAAAAAAAAAAAABohW2S6KJCHfjMD_rTDbUiCM"}
	b.ReportAllocs()
	for b.Loop() {
		enc, err := formatJSON.encode(out)
		if err != nil {
			b.Fatal(err)
		}
		bufpool.Put(enc)
	}
}
