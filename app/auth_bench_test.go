package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
)

// BenchmarkPutRecordsServer is the server's side of bench-api's ingest without the network: PutRecords of
// 500 × 1 KiB through the whole handler (signature check and authorizer included with verify). The difference
// between the two is what --auth verify costs a call; make bench-api measures it end to end.
func BenchmarkPutRecordsServer(b *testing.B) {
	for _, mode := range []string{authOff, authVerify} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			eng, err := engine.Open(engine.Options{InMemory: true})
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			shards := 4
			if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "bench", ShardCount: &shards}); err != nil {
				b.Fatal(err)
			}
			for {
				d, _ := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "bench"})
				if d != nil && d.StreamStatus == "ACTIVE" {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			access, err := openAccess(ctx, eng, "000000000000")
			if err != nil {
				b.Fatal(err)
			}
			root := auth.Key{Identity: auth.Identity{AccessKeyID: "AKIABENCH", Account: "000000000000", ARN: "arn:aws:iam::000000000000:root"}, Secret: "bench"}
			var verifier *auth.Verifier
			if mode == authVerify {
				verifier = auth.NewVerifier(auth.NewKeyRing(root), nil)
			}
			h := newAPIServer(eng, nil, nil, func() *auth.Verifier { return verifier }, access, nil).Handler
			var body strings.Builder
			body.WriteString(`{"StreamName":"bench","Records":[`)
			data := base64.StdEncoding.EncodeToString(make([]byte, 1024))
			for i := range 500 {
				if i > 0 {
					body.WriteString(",")
				}
				fmt.Fprintf(&body, `{"Data":"%s","PartitionKey":"k%d"}`, data, i)
			}
			body.WriteString("]}")
			payload := body.String()
			sum := sha256.Sum256([]byte(payload))
			signed, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4567/", strings.NewReader(payload))
			signed.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
			signed.Header.Set("Content-Type", "application/x-amz-json-1.1")
			if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.Secret}, signed,
				hex.EncodeToString(sum[:]), "kinesis", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(payload))
				r.Header, r.Host = signed.Header, signed.Host
				r.ContentLength = int64(len(payload))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/500, "ns/record")
		})
	}
}
