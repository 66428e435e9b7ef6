package delivery

import (
	"bytes"
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// s3Dest writes objects to a bucket of any S3-compatible server (AWS, MinIO, …) through aws-sdk-go-v2's S3 client:
// the same keys a folder destination uses, the error output under the error prefix of the same bucket.
type s3Dest struct {
	d      Destination
	client *s3.Client
}

func newS3Dest(d Destination) s3Dest {
	opts := s3.Options{Region: d.Region, UsePathStyle: d.PathStyle, RetryMaxAttempts: 1}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if d.Endpoint != "" {
		opts.BaseEndpoint = aws.String(d.Endpoint)
	}
	if d.AccessKey != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(d.AccessKey, d.SecretKey, "")
	}
	return s3Dest{d: d, client: s3.New(opts)}
}

func (s s3Dest) spec() Destination { return s.d }

func (s s3Dest) put(ctx context.Context, key string, body []byte, _ []item) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.d.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchBucket" || ae.ErrorCode() == "InvalidBucketName") {
		return permanentError{err}
	}
	return err
}
