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

// TestRolesManagedPoliciesAndConditions: root makes a managed policy and a role that trusts alice; alice's
// AssumeRole credentials (with their session token) may PutRecord under the role's attached policy, and a Deny
// with a condition on the caller's address decides by where the call came from.
func TestRolesManagedPoliciesAndConditions(t *testing.T) {
	t.Setenv(auth.EnvRootAccessKeyID, "AKIATESTROOT")
	t.Setenv(auth.EnvRootSecretAccessKey, "test/secret")
	cfg := serveConfig{addr: "127.0.0.1:0", dataDir: t.TempDir(), limits: "on", account: "000000000000",
		region: "us-east-1", auth: authVerify, transition: time.Millisecond}
	endpoint, _, _ := startServe(t, cfg)
	ctx := context.Background()
	kc := func(id, secret, token string) *kinesis.Client {
		return kinesis.New(kinesis.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, token), RetryMaxAttempts: 1})
	}
	root := kc("AKIATESTROOT", "test/secret", "")
	if _, err := root.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	call := func(service, id, secret string, want int, form url.Values) string {
		t.Helper()
		status, body := queryCall(t, endpoint, service, id, secret, form)
		if status != want {
			t.Fatalf("%s: %d %s", form.Get("Action"), status, body)
		}
		return body
	}
	iamCall := func(form url.Values) string { return call("iam", "AKIATESTROOT", "test/secret", http.StatusOK, form) }
	iamCall(url.Values{"Action": {"CreateUser"}, "UserName": {"alice"}})
	var created struct {
		Key struct{ AccessKeyId, SecretAccessKey string } `xml:"CreateAccessKeyResult>AccessKey"`
	}
	xml.Unmarshal([]byte(iamCall(url.Values{"Action": {"CreateAccessKey"}, "UserName": {"alice"}})), &created)
	var policy struct {
		Arn string `xml:"CreatePolicyResult>Policy>Arn"`
	}
	xml.Unmarshal([]byte(iamCall(url.Values{"Action": {"CreatePolicy"}, "PolicyName": {"writer"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kinesis:PutRecord","kinesis:DescribeStreamSummary"],"Resource":"*"}}`}})), &policy)
	if policy.Arn != "arn:aws:iam::000000000000:policy/writer" {
		t.Fatalf("CreatePolicy's ARN: %q", policy.Arn)
	}
	if body := call("iam", "AKIATESTROOT", "test/secret", http.StatusConflict, url.Values{"Action": {"CreatePolicy"}, "PolicyName": {"writer"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}}`}}); !strings.Contains(body, "EntityAlreadyExists") {
		t.Errorf("CreatePolicy twice: %s", body)
	}
	iamCall(url.Values{"Action": {"CreateRole"}, "RoleName": {"producer"}, "AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"sts:AssumeRole"}}`}})
	iamCall(url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"producer"}, "PolicyArn": {policy.Arn}})
	if body := iamCall(url.Values{"Action": {"ListAttachedRolePolicies"}, "RoleName": {"producer"}}); !strings.Contains(body, "<PolicyName>writer</PolicyName>") {
		t.Errorf("ListAttachedRolePolicies: %s", body)
	}
	if body := call("iam", "AKIATESTROOT", "test/secret", http.StatusConflict, url.Values{"Action": {"DeletePolicy"}, "PolicyArn": {policy.Arn}}); !strings.Contains(body, "DeleteConflict") {
		t.Errorf("deleting an attached policy: %s", body)
	}
	// Root may not assume a role; alice, whom the trust policy names, may.
	if body := call("sts", "AKIATESTROOT", "test/secret", http.StatusForbidden, url.Values{"Action": {"AssumeRole"},
		"RoleArn": {"arn:aws:iam::000000000000:role/producer"}, "RoleSessionName": {"s1"}}); !strings.Contains(body, "Roles may not be assumed by root accounts.") {
		t.Errorf("root's AssumeRole: %s", body)
	}
	var assumed struct {
		Creds struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string } `xml:"AssumeRoleResult>Credentials"`
		Arn   string                                                                  `xml:"AssumeRoleResult>AssumedRoleUser>Arn"`
	}
	xml.Unmarshal([]byte(call("sts", created.Key.AccessKeyId, created.Key.SecretAccessKey, http.StatusOK, url.Values{"Action": {"AssumeRole"},
		"RoleArn": {"arn:aws:iam::000000000000:role/producer"}, "RoleSessionName": {"s1"}, "DurationSeconds": {"900"}})), &assumed)
	if assumed.Arn != "arn:aws:sts::000000000000:assumed-role/producer/s1" || !strings.HasPrefix(assumed.Creds.AccessKeyId, "ASIA") || assumed.Creds.SessionToken == "" {
		t.Fatalf("AssumeRole: %+v", assumed)
	}
	if exp, err := time.Parse(time.RFC3339, assumed.Creds.Expiration); err != nil || time.Until(exp) > 15*time.Minute || time.Until(exp) < 14*time.Minute {
		t.Errorf("the credentials expire at %s, want in 15 minutes", assumed.Creds.Expiration)
	}
	session := kc(assumed.Creds.AccessKeyId, assumed.Creds.SecretAccessKey, assumed.Creds.SessionToken)
	if _, err := session.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Fatalf("the session's PutRecord: %v", err)
	}
	var ae smithy.APIError
	if _, err := session.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("orders")}); !errors.As(err, &ae) ||
		!strings.Contains(ae.ErrorMessage(), "User: arn:aws:sts::000000000000:assumed-role/producer/s1 is not authorized to perform: kinesis:DeleteStream") {
		t.Errorf("the session's DeleteStream: %v", err)
	}
	if _, err := kc(assumed.Creds.AccessKeyId, assumed.Creds.SecretAccessKey, "").PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"),
		PartitionKey: aws.String("k"), Data: []byte("x")}); !errors.As(err, &ae) || ae.ErrorCode() != auth.UnrecognizedClient {
		t.Errorf("the session's key without its token: %v", err)
	}
	// A condition on the caller's address: writes only from 10.0.0.0/8, so this test's loopback calls are denied.
	iamCall(url.Values{"Action": {"PutRolePolicy"}, "RoleName": {"producer"}, "PolicyName": {"office-only"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":{"Sid":"office","Effect":"Deny","Action":"kinesis:Put*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`}})
	if _, err := session.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")}); !errors.As(err, &ae) ||
		!strings.Contains(ae.ErrorMessage(), "with an explicit deny in an identity-based policy") {
		t.Errorf("PutRecord from outside the policy's network: %v", err)
	}
	if body := call("iam", "AKIATESTROOT", "test/secret", http.StatusBadRequest, url.Values{"Action": {"PutRolePolicy"}, "RoleName": {"producer"}, "PolicyName": {"bad"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"IpAddres":{"aws:SourceIp":"10.0.0.0/8"}}}}`}}); !strings.Contains(body, "MalformedPolicyDocument") || !strings.Contains(body, "IpAddres") {
		t.Errorf("a misspelt condition operator: %s", body)
	}
}
