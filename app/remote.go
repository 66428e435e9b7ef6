package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/sdkhttp"
)

// remoteStream speaks to any Kinesis endpoint (Shardlab's server, kinesalite, AWS) with aws-sdk-go-v2, in the
// engine's terms, so replay and capture work the same against the local data directory or a server.
type remoteStream struct {
	kc *kinesis.Client
}

// newRemote makes a client for endpoint. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN when set (AWS itself needs them), else placeholders a local server accepts.
func newRemote(endpoint, region string) *remoteStream {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		id, secret = "shardlab", "shardlab"
	}
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	return &remoteStream{kc: kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")),
		HTTPClient:   sdkhttp.Client(nil, time.Minute),
	})}
}

// asEngineError turns an API error into the engine's typed error, so callers test one kind of error code.
func asEngineError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &engine.Error{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	return err
}

func (r *remoteStream) PutRecords(ctx context.Context, in engine.PutRecordsInput) (*engine.PutRecordsOutput, error) {
	entries := make([]types.PutRecordsRequestEntry, len(in.Records))
	for i, e := range in.Records {
		entries[i] = types.PutRecordsRequestEntry{Data: e.Data, PartitionKey: aws.String(e.PartitionKey)}
		if e.ExplicitHashKey != "" {
			entries[i].ExplicitHashKey = aws.String(e.ExplicitHashKey)
		}
	}
	out, err := r.kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(in.StreamName), Records: entries})
	if err != nil {
		return nil, asEngineError(err)
	}
	res := &engine.PutRecordsOutput{FailedRecordCount: int(aws.ToInt32(out.FailedRecordCount))}
	for _, r := range out.Records {
		res.Records = append(res.Records, engine.PutRecordsResult{SequenceNumber: aws.ToString(r.SequenceNumber),
			ShardId: aws.ToString(r.ShardId), ErrorCode: aws.ToString(r.ErrorCode), ErrorMessage: aws.ToString(r.ErrorMessage)})
	}
	return res, nil
}

func (r *remoteStream) Shards(ctx context.Context, ref engine.StreamRef) ([]engine.ShardInfo, error) {
	var shards []engine.ShardInfo
	in := &kinesis.ListShardsInput{StreamName: aws.String(ref.StreamName)}
	for {
		out, err := r.kc.ListShards(ctx, in)
		if err != nil {
			return nil, asEngineError(err)
		}
		for _, s := range out.Shards {
			info := engine.ShardInfo{Shard: engine.Shard{ShardId: aws.ToString(s.ShardId),
				ParentShardId: aws.ToString(s.ParentShardId)}}
			if s.HashKeyRange != nil {
				info.Range.Start, _ = hashkey.Parse(aws.ToString(s.HashKeyRange.StartingHashKey))
				info.Range.End, _ = hashkey.Parse(aws.ToString(s.HashKeyRange.EndingHashKey))
			}
			info.Open = s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil
			shards = append(shards, info)
		}
		if out.NextToken == nil {
			return shards, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

func (r *remoteStream) GetShardIterator(ctx context.Context, in engine.GetShardIteratorInput) (string, error) {
	req := &kinesis.GetShardIteratorInput{StreamName: aws.String(in.StreamName), ShardId: aws.String(in.ShardId),
		ShardIteratorType: types.ShardIteratorType(in.ShardIteratorType), Timestamp: in.Timestamp}
	if in.StartingSequenceNumber != "" {
		req.StartingSequenceNumber = aws.String(in.StartingSequenceNumber)
	}
	out, err := r.kc.GetShardIterator(ctx, req)
	if err != nil {
		return "", asEngineError(err)
	}
	return aws.ToString(out.ShardIterator), nil
}

func (r *remoteStream) GetRecords(ctx context.Context, in engine.GetRecordsInput) (*engine.GetRecordsOutput, error) {
	req := &kinesis.GetRecordsInput{ShardIterator: aws.String(in.ShardIterator)}
	if in.Limit != nil {
		req.Limit = aws.Int32(int32(*in.Limit))
	}
	out, err := r.kc.GetRecords(ctx, req)
	if err != nil {
		return nil, asEngineError(err)
	}
	res := &engine.GetRecordsOutput{NextShardIterator: aws.ToString(out.NextShardIterator),
		MillisBehindLatest: aws.ToInt64(out.MillisBehindLatest)}
	for _, rec := range out.Records {
		res.Records = append(res.Records, engine.Record{SequenceNumber: aws.ToString(rec.SequenceNumber),
			ApproximateArrivalTimestamp: aws.ToTime(rec.ApproximateArrivalTimestamp), Data: rec.Data,
			PartitionKey: aws.ToString(rec.PartitionKey)})
	}
	return res, nil
}
