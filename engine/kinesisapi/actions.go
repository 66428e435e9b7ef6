package kinesisapi

import (
	"context"

	"github.com/shardlab/shardlab/engine"
)

// actions is the table of Kinesis actions answered with one body: every Data Streams action but SubscribeToShard,
// whose answer is a stream (subscribe.go).
func actions() map[string]action {
	return map[string]action{
		"CreateStream":                  handle(createStream),
		"DeleteStream":                  handle(deleteStream),
		"DescribeStream":                handle(describeStream),
		"DescribeStreamSummary":         handle(describeStreamSummary),
		"ListStreams":                   handle(listStreams),
		"ListShards":                    handle(listShards),
		"PutRecord":                     handle(putRecord),
		"PutRecords":                    handle(putRecords),
		"GetShardIterator":              handle(getShardIterator),
		"GetRecords":                    handle(getRecords),
		"SplitShard":                    handle(splitShard),
		"MergeShards":                   handle(mergeShards),
		"UpdateShardCount":              handle(updateShardCount),
		"UpdateStreamMode":              handle(updateStreamMode),
		"IncreaseStreamRetentionPeriod": handle(increaseRetention),
		"DecreaseStreamRetentionPeriod": handle(decreaseRetention),
		"AddTagsToStream":               handle(addTagsToStream),
		"ListTagsForStream":             handle(listTagsForStream),
		"RemoveTagsFromStream":          handle(removeTagsFromStream),
		"TagResource":                   handle(tagResource),
		"UntagResource":                 handle(untagResource),
		"ListTagsForResource":           handle(listTagsForResource),
		"DescribeLimits":                handle(describeLimits),
		"StartStreamEncryption":         handle(startStreamEncryption),
		"StopStreamEncryption":          handle(stopStreamEncryption),
		"EnableEnhancedMonitoring":      handle(enableEnhancedMonitoring),
		"DisableEnhancedMonitoring":     handle(disableEnhancedMonitoring),
		"PutResourcePolicy":             handle(putResourcePolicy),
		"GetResourcePolicy":             handle(getResourcePolicy),
		"DeleteResourcePolicy":          handle(deleteResourcePolicy),
		"UpdateMaxRecordSize":           handle(updateMaxRecordSize),
		"UpdateStreamWarmThroughput":    handle(updateStreamWarmThroughput),
		"DescribeAccountSettings":       handle(describeAccountSettings),
		"UpdateAccountSettings":         handle(updateAccountSettings),
		"RegisterStreamConsumer":        handle(registerStreamConsumer),
		"DescribeStreamConsumer":        handle(describeStreamConsumer),
		"ListStreamConsumers":           handle(listStreamConsumers),
		"DeregisterStreamConsumer":      handle(deregisterStreamConsumer),
	}
}

type createStreamIn struct {
	StreamName          string             `json:"StreamName"`
	ShardCount          *int               `json:"ShardCount"`
	StreamModeDetails   *streamModeDetails `json:"StreamModeDetails"`
	Tags                map[string]string  `json:"Tags"`
	MaxRecordSizeInKiB  *int               `json:"MaxRecordSizeInKiB"`
	WarmThroughputMiBps *int               `json:"WarmThroughputMiBps"`
}

func createStream(ctx context.Context, eng *engine.Engine, in *createStreamIn) (any, error) {
	req := engine.CreateStreamInput{StreamName: in.StreamName, ShardCount: in.ShardCount, Tags: in.Tags}
	if in.StreamModeDetails != nil {
		req.StreamMode = in.StreamModeDetails.StreamMode
	}
	if in.MaxRecordSizeInKiB != nil {
		req.MaxRecordSizeInKiB = *in.MaxRecordSizeInKiB
	}
	if in.WarmThroughputMiBps != nil {
		req.WarmThroughputMiBps = *in.WarmThroughputMiBps
	}
	return nil, eng.CreateStream(ctx, req)
}

type deleteStreamIn struct {
	streamRef
	EnforceConsumerDeletion bool `json:"EnforceConsumerDeletion"`
}

func deleteStream(ctx context.Context, eng *engine.Engine, in *deleteStreamIn) (any, error) {
	return nil, eng.DeleteStream(ctx, engine.DeleteStreamInput{StreamRef: in.ref(),
		EnforceConsumerDeletion: in.EnforceConsumerDeletion})
}

type describeStreamIn struct {
	streamRef
	Limit                 *int   `json:"Limit"`
	ExclusiveStartShardId string `json:"ExclusiveStartShardId"`
}

func describeStream(ctx context.Context, eng *engine.Engine, in *describeStreamIn) (any, error) {
	d, err := eng.DescribeStream(ctx, engine.DescribeStreamInput{StreamRef: in.ref(), Limit: in.Limit,
		ExclusiveStartShardId: in.ExclusiveStartShardId})
	if err != nil {
		return nil, err
	}
	return struct {
		StreamDescription streamDescription `json:"StreamDescription"`
	}{streamDescription{
		StreamName: d.StreamName, StreamARN: d.StreamARN, StreamStatus: d.StreamStatus,
		StreamModeDetails: &streamModeDetails{d.StreamMode}, Shards: shardsOut(d.Shards), HasMoreShards: d.HasMoreShards,
		RetentionPeriodHours: d.RetentionPeriodHours, StreamCreationTimestamp: ts(d.StreamCreationTimestamp),
		EnhancedMonitoring: monitoringOut(d.EnhancedMonitoring), EncryptionType: d.EncryptionType, KeyId: d.KeyId,
	}}, nil
}

func describeStreamSummary(ctx context.Context, eng *engine.Engine, in *streamRef) (any, error) {
	d, err := eng.DescribeStreamSummary(ctx, in.ref())
	if err != nil {
		return nil, err
	}
	out := streamDescriptionSummary{
		StreamName: d.StreamName, StreamARN: d.StreamARN, StreamStatus: d.StreamStatus,
		StreamModeDetails: &streamModeDetails{d.StreamMode}, RetentionPeriodHours: d.RetentionPeriodHours,
		StreamCreationTimestamp: ts(d.StreamCreationTimestamp), EnhancedMonitoring: monitoringOut(d.EnhancedMonitoring),
		EncryptionType: d.EncryptionType, KeyId: d.KeyId, OpenShardCount: d.OpenShardCount,
		ConsumerCount: d.ConsumerCount, MaxRecordSizeInKiB: d.MaxRecordSizeInKiB,
	}
	if w := d.WarmThroughput; w != nil {
		out.WarmThroughput = &warmThroughput{TargetMiBps: w.TargetMiBps, CurrentMiBps: w.CurrentMiBps}
	}
	return struct {
		StreamDescriptionSummary streamDescriptionSummary `json:"StreamDescriptionSummary"`
	}{out}, nil
}

type listStreamsIn struct {
	Limit                    *int   `json:"Limit"`
	ExclusiveStartStreamName string `json:"ExclusiveStartStreamName"`
	NextToken                string `json:"NextToken"`
}

func listStreams(ctx context.Context, eng *engine.Engine, in *listStreamsIn) (any, error) {
	l, err := eng.ListStreams(ctx, engine.ListStreamsInput{Limit: in.Limit,
		ExclusiveStartStreamName: in.ExclusiveStartStreamName, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	sums := make([]streamSummary, len(l.StreamSummaries))
	for i, s := range l.StreamSummaries {
		sums[i] = streamSummary{StreamName: s.StreamName, StreamARN: s.StreamARN, StreamStatus: s.StreamStatus,
			StreamModeDetails: &streamModeDetails{s.StreamMode}, StreamCreationTimestamp: ts(s.StreamCreationTimestamp)}
	}
	return struct {
		StreamNames     []string        `json:"StreamNames"`
		HasMoreStreams  bool            `json:"HasMoreStreams"`
		NextToken       string          `json:"NextToken,omitempty"`
		StreamSummaries []streamSummary `json:"StreamSummaries"`
	}{l.StreamNames, l.HasMoreStreams, l.NextToken, sums}, nil
}

type listShardsIn struct {
	streamRef
	NextToken               string     `json:"NextToken"`
	ExclusiveStartShardId   string     `json:"ExclusiveStartShardId"`
	MaxResults              *int       `json:"MaxResults"`
	StreamCreationTimestamp *timestamp `json:"StreamCreationTimestamp"`
	ShardFilter             *struct {
		Type      string     `json:"Type"`
		ShardId   string     `json:"ShardId"`
		Timestamp *timestamp `json:"Timestamp"`
	} `json:"ShardFilter"`
}

func listShards(ctx context.Context, eng *engine.Engine, in *listShardsIn) (any, error) {
	req := engine.ListShardsInput{StreamRef: in.ref(), NextToken: in.NextToken,
		ExclusiveStartShardId: in.ExclusiveStartShardId, MaxResults: in.MaxResults}
	if in.StreamCreationTimestamp != nil {
		req.StreamCreationTimestamp = &in.StreamCreationTimestamp.Time
	}
	if f := in.ShardFilter; f != nil {
		req.ShardFilter = &engine.ShardFilter{Type: f.Type, ShardId: f.ShardId}
		if f.Timestamp != nil {
			req.ShardFilter.Timestamp = &f.Timestamp.Time
		}
	}
	l, err := eng.ListShards(ctx, req)
	if err != nil {
		return nil, err
	}
	return struct {
		Shards    []shard `json:"Shards"`
		NextToken string  `json:"NextToken,omitempty"`
	}{shardsOut(l.Shards), l.NextToken}, nil
}

type splitShardIn struct {
	streamRef
	ShardToSplit       string `json:"ShardToSplit"`
	NewStartingHashKey string `json:"NewStartingHashKey"`
}

func splitShard(ctx context.Context, eng *engine.Engine, in *splitShardIn) (any, error) {
	return nil, eng.SplitShard(ctx, engine.SplitShardInput{StreamRef: in.ref(), ShardToSplit: in.ShardToSplit,
		NewStartingHashKey: in.NewStartingHashKey})
}

type mergeShardsIn struct {
	streamRef
	ShardToMerge         string `json:"ShardToMerge"`
	AdjacentShardToMerge string `json:"AdjacentShardToMerge"`
}

func mergeShards(ctx context.Context, eng *engine.Engine, in *mergeShardsIn) (any, error) {
	return nil, eng.MergeShards(ctx, engine.MergeShardsInput{StreamRef: in.ref(), ShardToMerge: in.ShardToMerge,
		AdjacentShardToMerge: in.AdjacentShardToMerge})
}

type updateShardCountIn struct {
	streamRef
	TargetShardCount *int   `json:"TargetShardCount"`
	ScalingType      string `json:"ScalingType"`
}

func updateShardCount(ctx context.Context, eng *engine.Engine, in *updateShardCountIn) (any, error) {
	target := 0
	if in.TargetShardCount != nil {
		target = *in.TargetShardCount
	}
	out, err := eng.UpdateShardCount(ctx, engine.UpdateShardCountInput{StreamRef: in.ref(), TargetShardCount: target,
		ScalingType: in.ScalingType})
	if err != nil {
		return nil, err
	}
	return struct {
		StreamName        string `json:"StreamName"`
		StreamARN         string `json:"StreamARN"`
		CurrentShardCount int    `json:"CurrentShardCount"`
		TargetShardCount  int    `json:"TargetShardCount"`
	}{out.StreamName, out.StreamARN, out.CurrentShardCount, out.TargetShardCount}, nil
}

type updateStreamModeIn struct {
	streamRef
	StreamModeDetails *streamModeDetails `json:"StreamModeDetails"`
}

func updateStreamMode(ctx context.Context, eng *engine.Engine, in *updateStreamModeIn) (any, error) {
	mode := ""
	if in.StreamModeDetails != nil {
		mode = in.StreamModeDetails.StreamMode
	}
	return nil, eng.UpdateStreamMode(ctx, in.ref(), mode)
}

type retentionIn struct {
	streamRef
	RetentionPeriodHours *int `json:"RetentionPeriodHours"` // a pointer: absent is "Value null", not "Value '0'"
}

func increaseRetention(ctx context.Context, eng *engine.Engine, in *retentionIn) (any, error) {
	if in.RetentionPeriodHours == nil {
		return nil, engine.MemberErrors(nil, []string{"RetentionPeriodHours"})
	}
	return nil, eng.IncreaseStreamRetentionPeriod(ctx, in.ref(), *in.RetentionPeriodHours)
}

func decreaseRetention(ctx context.Context, eng *engine.Engine, in *retentionIn) (any, error) {
	if in.RetentionPeriodHours == nil {
		return nil, engine.MemberErrors(nil, []string{"RetentionPeriodHours"})
	}
	return nil, eng.DecreaseStreamRetentionPeriod(ctx, in.ref(), *in.RetentionPeriodHours)
}

func describeLimits(ctx context.Context, eng *engine.Engine, _ *struct{}) (any, error) {
	l := eng.DescribeLimits(ctx)
	return struct {
		ShardLimit               int `json:"ShardLimit"`
		OpenShardCount           int `json:"OpenShardCount"`
		OnDemandStreamCount      int `json:"OnDemandStreamCount"`
		OnDemandStreamCountLimit int `json:"OnDemandStreamCountLimit"`
	}{l.ShardLimit, l.OpenShardCount, l.OnDemandStreamCount, l.OnDemandStreamCountLimit}, nil
}

type updateMaxRecordSizeIn struct {
	streamRef
	MaxRecordSizeInKiB int `json:"MaxRecordSizeInKiB"`
}

func updateMaxRecordSize(ctx context.Context, eng *engine.Engine, in *updateMaxRecordSizeIn) (any, error) {
	return nil, eng.UpdateMaxRecordSize(ctx, in.ref(), in.MaxRecordSizeInKiB)
}

type warmThroughputIn struct {
	streamRef
	WarmThroughputMiBps int `json:"WarmThroughputMiBps"`
}

func updateStreamWarmThroughput(ctx context.Context, eng *engine.Engine, in *warmThroughputIn) (any, error) {
	w, err := eng.UpdateStreamWarmThroughput(ctx, in.ref(), in.WarmThroughputMiBps)
	if err != nil {
		return nil, err
	}
	d, err := eng.DescribeStreamSummary(ctx, in.ref())
	if err != nil {
		return nil, err
	}
	return struct {
		StreamName     string         `json:"StreamName"`
		StreamARN      string         `json:"StreamARN"`
		WarmThroughput warmThroughput `json:"WarmThroughput"`
	}{d.StreamName, d.StreamARN, warmThroughput{w.TargetMiBps, w.CurrentMiBps}}, nil
}

func describeAccountSettings(ctx context.Context, eng *engine.Engine, _ *struct{}) (any, error) {
	c, err := eng.DescribeAccountSettings(ctx)
	if err != nil {
		return nil, err
	}
	return struct {
		MinimumThroughputBillingCommitment *billingCommitment `json:"MinimumThroughputBillingCommitment"`
	}{commitmentOut(c)}, nil
}

type updateAccountSettingsIn struct {
	MinimumThroughputBillingCommitment *struct {
		Status string `json:"Status"`
	} `json:"MinimumThroughputBillingCommitment"`
}

func updateAccountSettings(ctx context.Context, eng *engine.Engine, in *updateAccountSettingsIn) (any, error) {
	status := ""
	if in.MinimumThroughputBillingCommitment != nil {
		status = in.MinimumThroughputBillingCommitment.Status
	}
	c, err := eng.UpdateAccountSettings(ctx, status)
	if err != nil {
		return nil, err
	}
	return struct {
		MinimumThroughputBillingCommitment *billingCommitment `json:"MinimumThroughputBillingCommitment"`
	}{commitmentOut(c)}, nil
}
