package delivery

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/shardlab/shardlab/engine"
)

// TestS3Destination delivers gzip objects into a bucket of gofakes3, a real S3-protocol server started here, and
// reads them back through the S3 API.
func TestS3Destination(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	if err := backend.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	eng := openEngine(t, "")
	newStream(t, eng, "events", 2)
	putEvents(t, eng, 0, 300)
	dest := Destination{Kind: S3, Bucket: "lake", Endpoint: srv.URL, PathStyle: true, AccessKey: "local", SecretKey: "local",
		Prefix: "events/!{timestamp:yyyy}/"}
	d, err := Start(eng, Spec{Name: "to-s3", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}, {Kind: Compress, Codec: "gzip"}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{dest}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "300 delivered", func() bool { return d.Metrics().Delivered == 300 })
	d.Stop(bg)

	client := s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	list, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
	if err != nil || len(list.Contents) == 0 {
		t.Fatalf("list: %v, %d objects", err, len(list.Contents))
	}
	lines := 0
	for _, o := range list.Contents {
		key := aws.ToString(o.Key)
		if !strings.HasPrefix(key, "events/") || !strings.HasSuffix(key, ".gz") {
			t.Fatalf("object key %s", key)
		}
		obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("lake"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		lines += strings.Count(gunzip(t, b), "\n")
	}
	if lines != 300 {
		t.Fatalf("%d records in the bucket, want 300", lines)
	}
	if err := (Spec{Name: "x", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: S3}}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "needs a bucket") {
		t.Fatalf("an s3 destination without a bucket: %v", err)
	}
}
