package kinesisapi

import "github.com/shardlab/shardlab/engine"

// Wire types: the members of Kinesis's requests and responses, spelled as the API spells them. The json tags also
// name the CBOR map keys. Optional response members are omitted when empty, as AWS omits them.

type streamRef struct {
	StreamName string `json:"StreamName,omitempty"`
	StreamARN  string `json:"StreamARN,omitempty"`
}

func (r streamRef) ref() engine.StreamRef {
	return engine.StreamRef{StreamName: r.StreamName, StreamARN: r.StreamARN}
}

type streamModeDetails struct {
	StreamMode string `json:"StreamMode"`
}

type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shard struct {
	ShardId               string              `json:"ShardId"`
	ParentShardId         string              `json:"ParentShardId,omitempty"`
	AdjacentParentShardId string              `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          hashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange   sequenceNumberRange `json:"SequenceNumberRange"`
}

func shardsOut(in []engine.Shard) []shard {
	out := make([]shard, len(in))
	for i, s := range in {
		out[i] = shard{ShardId: s.ShardId, ParentShardId: s.ParentShardId, AdjacentParentShardId: s.AdjacentParentShardId,
			HashKeyRange:        hashKeyRange(s.HashKeyRange),
			SequenceNumberRange: sequenceNumberRange(s.SequenceNumberRange)}
	}
	return out
}

type enhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

func monitoringOut(metrics []string) []enhancedMetrics {
	return []enhancedMetrics{{ShardLevelMetrics: append([]string{}, metrics...)}}
}

type warmThroughput struct {
	TargetMiBps  int `json:"TargetMiBps"`
	CurrentMiBps int `json:"CurrentMiBps"`
}

type streamDescription struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	Shards                  []shard            `json:"Shards"`
	HasMoreShards           bool               `json:"HasMoreShards"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp *timestamp         `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyId                   string             `json:"KeyId,omitempty"`
}

type streamDescriptionSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp *timestamp         `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyId                   string             `json:"KeyId,omitempty"`
	OpenShardCount          int                `json:"OpenShardCount"`
	ConsumerCount           int                `json:"ConsumerCount"`
	MaxRecordSizeInKiB      int                `json:"MaxRecordSizeInKiB,omitempty"`
	WarmThroughput          *warmThroughput    `json:"WarmThroughput,omitempty"`
}

type streamSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	StreamCreationTimestamp *timestamp         `json:"StreamCreationTimestamp,omitempty"`
}

type record struct {
	SequenceNumber              string     `json:"SequenceNumber"`
	ApproximateArrivalTimestamp *timestamp `json:"ApproximateArrivalTimestamp,omitempty"`
	Data                        []byte     `json:"Data"`
	PartitionKey                string     `json:"PartitionKey"`
	EncryptionType              string     `json:"EncryptionType,omitempty"`
}

type childShard struct {
	ShardId      string       `json:"ShardId"`
	ParentShards []string     `json:"ParentShards"`
	HashKeyRange hashKeyRange `json:"HashKeyRange"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"` // an empty value is listed as "", as AWS does
}

func tagsOut(in []engine.Tag) []tag {
	out := make([]tag, len(in))
	for i, t := range in {
		out[i] = tag{Key: t.Key, Value: t.Value}
	}
	return out
}

type billingCommitment struct {
	Status               string     `json:"Status"`
	StartedAt            *timestamp `json:"StartedAt,omitempty"`
	EndedAt              *timestamp `json:"EndedAt,omitempty"`
	EarliestAllowedEndAt *timestamp `json:"EarliestAllowedEndAt,omitempty"`
}

func commitmentOut(c engine.BillingCommitment) *billingCommitment {
	return &billingCommitment{Status: c.Status, StartedAt: ts(c.StartedAt), EndedAt: ts(c.EndedAt),
		EarliestAllowedEndAt: ts(c.EarliestAllowedEndAt)}
}
