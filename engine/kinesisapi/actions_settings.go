package kinesisapi

import (
	"context"

	"github.com/shardlab/shardlab/engine"
)

type tagsIn struct {
	streamRef
	Tags map[string]string `json:"Tags"`
}

func addTagsToStream(ctx context.Context, eng *engine.Engine, in *tagsIn) (any, error) {
	return nil, eng.AddTagsToStream(ctx, in.ref(), in.Tags)
}

type listTagsIn struct {
	streamRef
	ExclusiveStartTagKey string `json:"ExclusiveStartTagKey"`
	Limit                *int   `json:"Limit"`
}

func listTagsForStream(ctx context.Context, eng *engine.Engine, in *listTagsIn) (any, error) {
	out, err := eng.ListTagsForStream(ctx, in.ref(), in.ExclusiveStartTagKey, in.Limit)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags        []tag `json:"Tags"`
		HasMoreTags bool  `json:"HasMoreTags"`
	}{tagsOut(out.Tags), out.HasMoreTags}, nil
}

type tagKeysIn struct {
	streamRef
	TagKeys []string `json:"TagKeys"`
}

func removeTagsFromStream(ctx context.Context, eng *engine.Engine, in *tagKeysIn) (any, error) {
	return nil, eng.RemoveTagsFromStream(ctx, in.ref(), in.TagKeys)
}

type resourceIn struct {
	ResourceARN string            `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags"`
	TagKeys     []string          `json:"TagKeys"`
	Policy      string            `json:"Policy"`
}

func tagResource(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	return nil, eng.TagResource(ctx, in.ResourceARN, in.Tags)
}

func untagResource(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	return nil, eng.UntagResource(ctx, in.ResourceARN, in.TagKeys)
}

func listTagsForResource(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	tags, err := eng.ListTagsForResource(ctx, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags []tag `json:"Tags"`
	}{tagsOut(tags)}, nil
}

func putResourcePolicy(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	return nil, eng.PutResourcePolicy(ctx, in.ResourceARN, in.Policy)
}

func getResourcePolicy(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	p, err := eng.GetResourcePolicy(ctx, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	if p == "" {
		p = "{}"
	}
	return struct {
		Policy string `json:"Policy"`
	}{p}, nil
}

func deleteResourcePolicy(ctx context.Context, eng *engine.Engine, in *resourceIn) (any, error) {
	return nil, eng.DeleteResourcePolicy(ctx, in.ResourceARN)
}

type encryptionIn struct {
	streamRef
	EncryptionType string `json:"EncryptionType"`
	KeyId          string `json:"KeyId"`
}

func startStreamEncryption(ctx context.Context, eng *engine.Engine, in *encryptionIn) (any, error) {
	return nil, eng.StartStreamEncryption(ctx, in.ref(), in.EncryptionType, in.KeyId)
}

func stopStreamEncryption(ctx context.Context, eng *engine.Engine, in *encryptionIn) (any, error) {
	return nil, eng.StopStreamEncryption(ctx, in.ref(), in.EncryptionType, in.KeyId)
}

type monitoringIn struct {
	streamRef
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

type monitoringOutput struct {
	StreamName               string   `json:"StreamName"`
	StreamARN                string   `json:"StreamARN"`
	CurrentShardLevelMetrics []string `json:"CurrentShardLevelMetrics"`
	DesiredShardLevelMetrics []string `json:"DesiredShardLevelMetrics"`
}

func enableEnhancedMonitoring(ctx context.Context, eng *engine.Engine, in *monitoringIn) (any, error) {
	out, err := eng.EnableEnhancedMonitoring(ctx, in.ref(), in.ShardLevelMetrics)
	if err != nil {
		return nil, err
	}
	return monitoringOutput(*out), nil
}

func disableEnhancedMonitoring(ctx context.Context, eng *engine.Engine, in *monitoringIn) (any, error) {
	out, err := eng.DisableEnhancedMonitoring(ctx, in.ref(), in.ShardLevelMetrics)
	if err != nil {
		return nil, err
	}
	return monitoringOutput(*out), nil
}
