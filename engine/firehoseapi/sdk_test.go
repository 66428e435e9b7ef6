package firehoseapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/internal/sdkhttp"
)

var ctx = context.Background()

func start(t *testing.T) (*engine.Engine, *firehose.Client, string) {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := delivery.OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	buckets := t.TempDir()
	srv := httptest.NewServer(New(eng, mgr, Options{BucketsDir: buckets}))
	t.Cleanup(func() { srv.Close(); mgr.Close(); eng.Close() })
	fc := firehose.New(firehose.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), RetryMaxAttempts: 1,
		HTTPClient: sdkhttp.Client(nil, time.Minute)})
	return eng, fc, buckets
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func lines(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, _ := os.Open(path)
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		return nil
	})
	return out
}

// TestFirehoseSDKDirectPut: aws-sdk-go-v2's firehose client creates a DirectPut delivery stream to an S3 bucket
// (a folder here), puts records one by one and in batches, and finds them in the bucket; bad calls get
// Firehose's errors.
func TestFirehoseSDKDirectPut(t *testing.T) {
	_, fc, buckets := start(t)
	name := aws.String("logs")
	_, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: name,
		DeliveryStreamType: types.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::my-bucket"), RoleARN: aws.String("arn:aws:iam::000000000000:role/x"),
			Prefix:         aws.String("logs/!{timestamp:yyyy}/"),
			BufferingHints: &types.BufferingHints{IntervalInSeconds: aws.Int32(0), SizeInMBs: aws.Int32(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: name,
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::my-bucket"),
			RoleARN: aws.String("r")}}); code(err) != "ResourceInUseException" {
		t.Fatalf("creating twice: %v", err)
	}
	desc, err := fc.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: name})
	if err != nil || desc.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusActive ||
		desc.DeliveryStreamDescription.DeliveryStreamType != types.DeliveryStreamTypeDirectPut ||
		aws.ToString(desc.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.BucketARN) != "arn:aws:s3:::my-bucket" {
		t.Fatalf("describe: %+v, %v", desc, err)
	}
	list, err := fc.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil || len(list.DeliveryStreamNames) != 1 || list.DeliveryStreamNames[0] != "logs" {
		t.Fatalf("list: %+v, %v", list, err)
	}

	if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: name,
		Record: &types.Record{Data: []byte("line 0\n")}}); err != nil {
		t.Fatal(err)
	}
	var recs []types.Record
	for i := 1; i < 200; i++ {
		recs = append(recs, types.Record{Data: fmt.Appendf(nil, "line %d\n", i)})
	}
	batch, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: name, Records: recs})
	if err != nil || aws.ToInt32(batch.FailedPutCount) != 0 || len(batch.RequestResponses) != 199 ||
		aws.ToString(batch.RequestResponses[0].RecordId) == "" {
		t.Fatalf("PutRecordBatch: %+v, %v", batch, err)
	}
	bucket := filepath.Join(buckets, "my-bucket")
	deadline := time.Now().Add(15 * time.Second)
	for len(lines(t, bucket)) < 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := lines(t, bucket)
	if len(got) != 200 {
		t.Fatalf("%d lines in the bucket, want 200", len(got))
	}
	entries, _ := os.ReadDir(filepath.Join(bucket, "logs"))
	if len(entries) != 1 || len(entries[0].Name()) != 4 {
		t.Fatalf("objects not under logs/<year>/: %v", entries)
	}

	too := make([]types.Record, 501)
	for i := range too {
		too[i] = types.Record{Data: []byte("x")}
	}
	if _, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: name, Records: too}); code(err) != "ValidationException" {
		t.Fatalf("501 records: %v", err)
	}
	if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: name,
		Record: &types.Record{Data: make([]byte, 1000<<10+1)}}); code(err) != "ValidationException" {
		t.Fatalf("a record over 1,000 KiB: %v", err)
	}
	if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("nope"),
		Record: &types.Record{Data: []byte("x")}}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("an unknown delivery stream: %v", err)
	}
	if _, err := fc.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: name}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestFirehoseSDKKinesisSource: a delivery stream reading a Kinesis stream from the moment it was created.
func TestFirehoseSDKKinesisSource(t *testing.T) {
	eng, fc, buckets := start(t)
	one := 1
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "clicks", ShardCount: &one}); err != nil {
		t.Fatal(err)
	}
	put := func(s string) {
		if _, err := eng.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: "clicks"},
			PartitionKey: "k", Data: []byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	put("before\n")
	_, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks-archive"),
		DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &types.KinesisStreamSourceConfiguration{
			KinesisStreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/clicks"), RoleARN: aws.String("r")},
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::archive"),
			RoleARN: aws.String("r"), CompressionFormat: types.CompressionFormatUncompressed,
			BufferingHints: &types.BufferingHints{IntervalInSeconds: aws.Int32(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // its reader opens at LATEST
	put("after\n")
	deadline := time.Now().Add(15 * time.Second)
	for len(lines(t, filepath.Join(buckets, "archive"))) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := lines(t, filepath.Join(buckets, "archive")); strings.Join(got, ",") != "after" {
		t.Fatalf("bucket holds %q, want only the record put after creation", got)
	}
	if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("clicks-archive"),
		Record: &types.Record{Data: []byte("x")}}); code(err) != "InvalidArgumentException" {
		t.Fatalf("PutRecord on a Kinesis-sourced delivery stream: %v", err)
	}
}
