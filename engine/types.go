package engine

import (
	"time"

	"github.com/shardlab/shardlab/internal/hashkey"
)

// Stream modes, statuses, shard iterator types and shard filter types, spelled as the Kinesis API spells them.
const (
	ModeProvisioned = "PROVISIONED"
	ModeOnDemand    = "ON_DEMAND"

	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusUpdating = "UPDATING"
	StatusDeleting = "DELETING"

	IteratorTrimHorizon = "TRIM_HORIZON"
	IteratorLatest      = "LATEST"
	IteratorAtSequence  = "AT_SEQUENCE_NUMBER"
	IteratorAfterSeq    = "AFTER_SEQUENCE_NUMBER"
	IteratorAtTimestamp = "AT_TIMESTAMP"

	FilterAfterShardID    = "AFTER_SHARD_ID"
	FilterAtTrimHorizon   = "AT_TRIM_HORIZON"
	FilterFromTrimHorizon = "FROM_TRIM_HORIZON"
	FilterAtLatest        = "AT_LATEST"
	FilterAtTimestamp     = "AT_TIMESTAMP"
	FilterFromTimestamp   = "FROM_TIMESTAMP"

	ScalingUniform = "UNIFORM_SCALING"

	EncryptionNone = "NONE"
	EncryptionKMS  = "KMS"
)

// StreamRef names a stream by name (in the caller's account and region) or by ARN; ARN wins when both are set.
type StreamRef struct {
	StreamName string
	StreamARN  string
}

// CreateStreamInput mirrors Kinesis CreateStream. ShardCount is required for PROVISIONED streams.
type CreateStreamInput struct {
	StreamName     string
	ShardCount     *int
	StreamMode     string // PROVISIONED (default) or ON_DEMAND
	Tags           map[string]string
	RetentionHours int // 0 means the Kinesis default, 24; a Shardlab extension to CreateStream
	// MaxRecordSizeInKiB is the largest record accepted, 1,024–10,240 (0 means 1,024).
	MaxRecordSizeInKiB int
	// WarmThroughputMiBps readies an on-demand stream for that many MiB/s of writes (0: none).
	WarmThroughputMiBps int
}

// DeleteStreamInput mirrors Kinesis DeleteStream.
type DeleteStreamInput struct {
	StreamRef
	EnforceConsumerDeletion bool
}

// HashKeyRange is a shard's inclusive hash-key range in decimal, as the API reports it.
type HashKeyRange struct {
	StartingHashKey string
	EndingHashKey   string
}

// SequenceNumberRange is a shard's range of sequence numbers; EndingSequenceNumber is empty while the shard is open.
type SequenceNumberRange struct {
	StartingSequenceNumber string
	EndingSequenceNumber   string
}

// Shard describes one shard as DescribeStream and ListShards report it.
type Shard struct {
	ShardId               string
	ParentShardId         string
	AdjacentParentShardId string
	HashKeyRange          HashKeyRange
	SequenceNumberRange   SequenceNumberRange
}

// StreamDescription mirrors the Kinesis type of the same name.
type StreamDescription struct {
	StreamName              string
	StreamARN               string
	StreamStatus            string
	StreamMode              string
	Shards                  []Shard
	HasMoreShards           bool
	RetentionPeriodHours    int
	StreamCreationTimestamp time.Time
	EnhancedMonitoring      []string
	EncryptionType          string
	KeyId                   string
}

// DescribeStreamInput mirrors Kinesis DescribeStream.
type DescribeStreamInput struct {
	StreamRef
	Limit                 *int
	ExclusiveStartShardId string
}

// StreamSummary mirrors DescribeStreamSummary's StreamDescriptionSummary, plus what the GUI lists.
type StreamSummary struct {
	StreamName              string
	StreamARN               string
	StreamStatus            string
	StreamMode              string
	RetentionPeriodHours    int
	StreamCreationTimestamp time.Time
	EnhancedMonitoring      []string
	EncryptionType          string
	KeyId                   string
	OpenShardCount          int
	ClosedShardCount        int
	ConsumerCount           int
	MaxRecordSizeInKiB      int
	LimitsEnforced          bool
	WarmThroughput          *WarmThroughput // on-demand streams only
}

// ListStreamsInput mirrors Kinesis ListStreams.
type ListStreamsInput struct {
	Limit                    *int
	ExclusiveStartStreamName string
	NextToken                string
}

// ListStreamsOutput mirrors Kinesis ListStreams.
type ListStreamsOutput struct {
	StreamNames     []string
	StreamSummaries []StreamSummary
	HasMoreStreams  bool
	NextToken       string
}

// ShardFilter mirrors the Kinesis ShardFilter of ListShards.
type ShardFilter struct {
	Type      string
	ShardId   string
	Timestamp *time.Time
}

// ListShardsInput mirrors Kinesis ListShards.
type ListShardsInput struct {
	StreamRef
	NextToken               string
	ExclusiveStartShardId   string
	MaxResults              *int
	StreamCreationTimestamp *time.Time
	ShardFilter             *ShardFilter
}

// ListShardsOutput mirrors Kinesis ListShards.
type ListShardsOutput struct {
	Shards    []Shard
	NextToken string
}

// PutRecordInput mirrors Kinesis PutRecord. Data nil means the member was missing.
type PutRecordInput struct {
	StreamRef
	Data                      []byte
	PartitionKey              string
	ExplicitHashKey           string
	SequenceNumberForOrdering string
}

// PutRecordOutput mirrors Kinesis PutRecord.
type PutRecordOutput struct {
	ShardId        string
	SequenceNumber string
	EncryptionType string
}

// PutRecordsEntry is one record of a PutRecords call.
type PutRecordsEntry struct {
	Data            []byte
	PartitionKey    string
	ExplicitHashKey string
}

// PutRecordsInput mirrors Kinesis PutRecords. Records nil means the member was missing.
type PutRecordsInput struct {
	StreamRef
	Records []PutRecordsEntry
}

// PutRecordsResult is one record's outcome: a sequence number and shard, or an error code and message.
type PutRecordsResult struct {
	SequenceNumber string
	ShardId        string
	ErrorCode      string
	ErrorMessage   string
}

// PutRecordsOutput mirrors Kinesis PutRecords; Records are in request order.
type PutRecordsOutput struct {
	FailedRecordCount int
	Records           []PutRecordsResult
	EncryptionType    string
}

// GetShardIteratorInput mirrors Kinesis GetShardIterator.
type GetShardIteratorInput struct {
	StreamRef
	ShardId                string
	ShardIteratorType      string
	StartingSequenceNumber string
	Timestamp              *time.Time
}

// GetRecordsInput mirrors Kinesis GetRecords.
type GetRecordsInput struct {
	ShardIterator string
	Limit         *int
	StreamARN     string
}

// Record is one data record as GetRecords returns it.
type Record struct {
	SequenceNumber              string
	ApproximateArrivalTimestamp time.Time
	Data                        []byte
	PartitionKey                string
	EncryptionType              string
}

// ChildShard names a shard that continues a closed one.
type ChildShard struct {
	ShardId      string
	ParentShards []string
	HashKeyRange HashKeyRange
}

// GetRecordsOutput mirrors Kinesis GetRecords. NextShardIterator is empty when a closed shard has been read to its end.
type GetRecordsOutput struct {
	Records            []Record
	NextShardIterator  string
	MillisBehindLatest int64
	ChildShards        []ChildShard

	arena [][]byte // pooled buffers the records' Data live in, for Release
}

// SplitShardInput mirrors Kinesis SplitShard.
type SplitShardInput struct {
	StreamRef
	ShardToSplit       string
	NewStartingHashKey string
}

// MergeShardsInput mirrors Kinesis MergeShards.
type MergeShardsInput struct {
	StreamRef
	ShardToMerge         string
	AdjacentShardToMerge string
}

// UpdateShardCountInput mirrors Kinesis UpdateShardCount.
type UpdateShardCountInput struct {
	StreamRef
	TargetShardCount int
	ScalingType      string
}

// UpdateShardCountOutput mirrors Kinesis UpdateShardCount.
type UpdateShardCountOutput struct {
	StreamName        string
	StreamARN         string
	CurrentShardCount int
	TargetShardCount  int
}

// Limits mirrors DescribeLimits.
type Limits struct {
	ShardLimit               int
	OpenShardCount           int
	OnDemandStreamCount      int
	OnDemandStreamCountLimit int
}

// ShardInfo is what the GUI and subsystems need about a shard beyond the API's Shard: parsed ranges and state.
type ShardInfo struct {
	Shard
	Index    int
	Range    hashkey.Range
	Open     bool
	Created  time.Time
	Closed   time.Time
	Children []string
}
