package kinesisapi

import (
	"context"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/bufpool"
)

type putRecordIn struct {
	streamRef
	Data                      blob   `json:"Data"`
	PartitionKey              string `json:"PartitionKey"`
	ExplicitHashKey           string `json:"ExplicitHashKey"`
	SequenceNumberForOrdering string `json:"SequenceNumberForOrdering"`
}

func putRecord(ctx context.Context, eng *engine.Engine, in *putRecordIn) (any, error) {
	out, err := eng.PutRecord(ctx, engine.PutRecordInput{StreamRef: in.ref(), Data: in.Data,
		PartitionKey: in.PartitionKey, ExplicitHashKey: in.ExplicitHashKey,
		SequenceNumberForOrdering: in.SequenceNumberForOrdering})
	if err != nil {
		return nil, err
	}
	return struct {
		ShardId        string `json:"ShardId"`
		SequenceNumber string `json:"SequenceNumber"`
		EncryptionType string `json:"EncryptionType,omitempty"`
	}{out.ShardId, out.SequenceNumber, out.EncryptionType}, nil
}

type putRecordsIn struct {
	streamRef
	Records []putRecordsEntryIn `json:"Records"`
	arena   []byte              // pooled buffer holding the records' data, when the fast decoder filled them
}

// release hands the decoded data's buffer back once the engine has copied the records.
func (in *putRecordsIn) release() {
	if in.arena != nil {
		bufpool.Put(in.arena)
		in.arena = nil
	}
}

type putRecordsEntryIn struct {
	Data            blob   `json:"Data"`
	PartitionKey    string `json:"PartitionKey"`
	ExplicitHashKey string `json:"ExplicitHashKey"`
}

type putRecordsResult struct {
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ShardId        string `json:"ShardId,omitempty"`
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

func putRecords(ctx context.Context, eng *engine.Engine, in *putRecordsIn) (any, error) {
	defer in.release()
	req := engine.PutRecordsInput{StreamRef: in.ref()}
	if in.Records != nil {
		req.Records = make([]engine.PutRecordsEntry, len(in.Records))
		for i, r := range in.Records {
			req.Records[i] = engine.PutRecordsEntry{Data: r.Data, PartitionKey: r.PartitionKey,
				ExplicitHashKey: r.ExplicitHashKey}
		}
	}
	out, err := eng.PutRecords(ctx, req)
	if err != nil {
		return nil, err
	}
	results := make([]putRecordsResult, len(out.Records))
	for i, r := range out.Records {
		results[i] = putRecordsResult(r)
	}
	return &putRecordsOut{out.FailedRecordCount, results, out.EncryptionType}, nil
}

type putRecordsOut struct {
	FailedRecordCount int                `json:"FailedRecordCount"`
	Records           []putRecordsResult `json:"Records"`
	EncryptionType    string             `json:"EncryptionType,omitempty"`
}

type getShardIteratorIn struct {
	streamRef
	ShardId                string     `json:"ShardId"`
	ShardIteratorType      string     `json:"ShardIteratorType"`
	StartingSequenceNumber string     `json:"StartingSequenceNumber"`
	Timestamp              *timestamp `json:"Timestamp"`
}

func getShardIterator(ctx context.Context, eng *engine.Engine, in *getShardIteratorIn) (any, error) {
	req := engine.GetShardIteratorInput{StreamRef: in.ref(), ShardId: in.ShardId,
		ShardIteratorType: in.ShardIteratorType, StartingSequenceNumber: in.StartingSequenceNumber}
	if in.Timestamp != nil {
		req.Timestamp = &in.Timestamp.Time
	}
	it, err := eng.GetShardIterator(ctx, req)
	if err != nil {
		return nil, err
	}
	return struct {
		ShardIterator string `json:"ShardIterator"`
	}{it}, nil
}

type getRecordsIn struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit"`
	StreamARN     string `json:"StreamARN"`
}

func getRecords(ctx context.Context, eng *engine.Engine, in *getRecordsIn) (any, error) {
	out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: in.ShardIterator, Limit: in.Limit,
		StreamARN: in.StreamARN})
	if err != nil {
		return nil, err
	}
	return &getRecordsOut{wireRecords(out.Records), out.NextShardIterator, out.MillisBehindLatest,
		wireChildShards(out.ChildShards), out.Release}, nil
}

// wireRecords is records as GetRecords and SubscribeToShard events carry them.
func wireRecords(in []engine.Record) []record {
	recs := make([]record, len(in))
	stamps := make([]timestamp, len(in)) // one allocation for every record's timestamp
	for i, r := range in {
		stamps[i] = timestamp{r.ApproximateArrivalTimestamp}
		recs[i] = record{SequenceNumber: r.SequenceNumber, ApproximateArrivalTimestamp: &stamps[i], Data: r.Data,
			PartitionKey: r.PartitionKey, EncryptionType: r.EncryptionType}
	}
	return recs
}

// wireChildShards is a closed shard's children as GetRecords and SubscribeToShard events carry them.
func wireChildShards(in []engine.ChildShard) []childShard {
	var children []childShard
	for _, c := range in {
		children = append(children, childShard{ShardId: c.ShardId, ParentShards: c.ParentShards,
			HashKeyRange: hashKeyRange(c.HashKeyRange)})
	}
	return children
}

type getRecordsOut struct {
	Records            []record     `json:"Records"`
	NextShardIterator  string       `json:"NextShardIterator,omitempty"`
	MillisBehindLatest int64        `json:"MillisBehindLatest"`
	ChildShards        []childShard `json:"ChildShards,omitempty"`
	done               func()       // hands the records' data buffers back once the answer is encoded
}

func (o *getRecordsOut) release() { o.done() }
