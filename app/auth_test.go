package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine/auth"
)

// TestServeWithAuthVerify runs `serve --auth verify` with root keys from the environment and calls it with the Go
// SDK: the right secret works, a wrong one gets InvalidSignatureException, no signature at all
// MissingAuthenticationTokenException.
func TestServeWithAuthVerify(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIATESTROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "test/secret")
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authVerify}
	endpoint, _, _ := startServe(t, cfg)
	client := func(secret string) *kinesis.Client {
		return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
			Credentials:      credentials.NewStaticCredentialsProvider("AKIATESTROOT", secret, ""),
			RetryMaxAttempts: 1})
	}
	ctx := context.Background()
	if _, err := client("test/secret").ListStreams(ctx, &kinesis.ListStreamsInput{}); err != nil {
		t.Fatalf("the root key was refused: %v", err)
	}
	var ae smithy.APIError
	if _, err := client("wrong").ListStreams(ctx, &kinesis.ListStreamsInput{}); !errors.As(err, &ae) || ae.ErrorCode() != auth.InvalidSignature {
		t.Errorf("a wrong secret: %v", err)
	}
	status, body, _ := call(t, &http.Client{}, endpoint, "ListStreams", "{}")
	if status != http.StatusBadRequest || !strings.Contains(body, auth.MissingAuthenticationToken) {
		t.Errorf("no signature: %d %s", status, body)
	}
}

func TestServingBeyondLoopbackNeedsVerifyOrInsecure(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-addr", "0.0.0.0:4567"}, false},
		{[]string{"-addr", "0.0.0.0:4567", "-auth", "verify"}, true},
		{[]string{"-addr", "0.0.0.0:4567", "-insecure"}, true},
		{[]string{"-addr", "127.0.0.1:4567"}, true},
		{[]string{"-addr", "[::1]:4567"}, true},
		{[]string{"-addr", "localhost:4567"}, true},
		{[]string{"-auth", "maybe"}, false},
	} {
		_, err := parseServeFlags(c.args)
		if (err == nil) != c.ok {
			t.Errorf("serve %v: %v", c.args, err)
		}
	}
	if _, err := parseGUIFlags([]string{"-api", "0.0.0.0:4567"}); err == nil || !strings.Contains(err.Error(), "checks no signatures") {
		t.Errorf("gui on 0.0.0.0 without --insecure: %v", err)
	}
	if _, err := parseGUIFlags([]string{"-api", "0.0.0.0:4567", "-insecure"}); err != nil {
		t.Errorf("gui with --insecure: %v", err)
	}
}
