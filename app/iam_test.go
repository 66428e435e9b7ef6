package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/shardlab/shardlab/engine/auth"
)

// queryCall sends an IAM or STS Query API call signed as the CLI signs it.
func queryCall(t *testing.T, endpoint, service, id, secret string, form url.Values) (int, string) {
	t.Helper()
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIAMUserMayPutButNotDelete is the check with the Go SDK and signed Query calls: root makes a user, a
// key and a put-only policy; the user may PutRecord but DeleteStream is AccessDeniedException, and a Deny in the
// stream's resource policy wins over the user's Allow.
func TestIAMUserMayPutButNotDelete(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIATESTROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "test/secret")
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authVerify, transition: time.Millisecond}
	endpoint, _, _ := startServe(t, cfg)
	ctx := context.Background()
	kc := func(id, secret string) *kinesis.Client {
		return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
	}
	root := kc("AKIATESTROOT", "test/secret")
	if _, err := root.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	iamCall := func(form url.Values) string {
		status, body := queryCall(t, endpoint, "iam", "AKIATESTROOT", "test/secret", form)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", form.Get("Action"), status, body)
		}
		return body
	}
	iamCall(url.Values{"Action": {"CreateUser"}, "UserName": {"alice"}, "Version": {"2010-05-08"}})
	var created struct {
		Key struct{ AccessKeyId, SecretAccessKey string } `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal([]byte(iamCall(url.Values{"Action": {"CreateAccessKey"}, "UserName": {"alice"}})), &created); err != nil || created.Key.AccessKeyId == "" {
		t.Fatalf("CreateAccessKey: %v %+v", err, created)
	}
	iamCall(url.Values{"Action": {"PutUserPolicy"}, "UserName": {"alice"}, "PolicyName": {"put-only"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"arn:aws:kinesis:*:*:stream/orders"}}`}})
	status, body := queryCall(t, endpoint, "sts", created.Key.AccessKeyId, created.Key.SecretAccessKey, url.Values{"Action": {"GetCallerIdentity"}})
	if status != http.StatusOK || !strings.Contains(body, "<Arn>arn:aws:iam::000000000000:user/alice</Arn>") {
		t.Errorf("GetCallerIdentity as alice: %d %s", status, body)
	}
	alice := kc(created.Key.AccessKeyId, created.Key.SecretAccessKey)
	put := func() error {
		_, err := alice.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")})
		return err
	}
	if err := put(); err != nil {
		t.Fatalf("alice's PutRecord: %v", err)
	}
	var ae smithy.APIError
	_, err := alice.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("orders")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" ||
		!strings.Contains(ae.ErrorMessage(), "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: kinesis:DeleteStream on resource: arn:aws:kinesis:us-east-1:000000000000:stream/orders because no identity-based policy allows the kinesis:DeleteStream action") {
		t.Errorf("alice's DeleteStream: %v", err)
	}
	arn := "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
	if _, err := root.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"kinesis:PutRecord","Resource":"` + arn + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if err := put(); !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), "with an explicit deny in a resource-based policy") {
		t.Errorf("alice's PutRecord after the resource policy's Deny: %v", err)
	}
	// A user cannot manage IAM; IAM's own errors come back as IAM words them.
	if status, body := queryCall(t, endpoint, "iam", created.Key.AccessKeyId, created.Key.SecretAccessKey, url.Values{"Action": {"ListUsers"}}); status != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("alice's ListUsers: %d %s", status, body)
	}
	if status, body := queryCall(t, endpoint, "iam", "AKIATESTROOT", "test/secret", url.Values{"Action": {"CreateUser"}, "UserName": {"alice"}}); status != http.StatusConflict || !strings.Contains(body, "<Code>EntityAlreadyExists</Code>") {
		t.Errorf("CreateUser twice: %d %s", status, body)
	}
	if status, body := queryCall(t, endpoint, "iam", "AKIATESTROOT", "wrong", url.Values{"Action": {"ListUsers"}}); status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidSignatureException</Code>") {
		t.Errorf("IAM with a wrong secret: %d %s", status, body)
	}
}
