package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
)

// TestStoreKeepsUsersKeysAndPoliciesAcrossARestart: what IAM calls made is in the database, and a reopened store
// finds the key and its user's policy again.
func TestStoreKeepsUsersKeysAndPoliciesAcrossARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng, err := engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(ctx, eng, "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	key, err := s.CreateAccessKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutUserPolicy(ctx, "alice", "p", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}}`); err != nil {
		t.Fatal(err)
	}
	var ie *Error
	if err := s.DeleteUser(ctx, "alice"); !errors.As(err, &ie) || ie.Code != "DeleteConflict" {
		t.Errorf("deleting a user with keys: %v", err)
	}
	if _, err := s.CreateUser(ctx, "ALICE"); !errors.As(err, &ie) || ie.Code != "EntityAlreadyExists" {
		t.Errorf("user names are case-insensitively unique in IAM: %v", err)
	}
	s.CreateAccessKey(ctx, "alice")
	if _, err := s.CreateAccessKey(ctx, "alice"); !errors.As(err, &ie) || ie.Code != "LimitExceeded" {
		t.Errorf("a third key: %v", err)
	}
	eng.Close()

	eng, err = engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s, err = OpenStore(ctx, eng, "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	k, ok := s.Lookup(key.ID)
	if !ok || k.Secret != key.Secret || k.ARN != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("the key after a restart: %+v, %v", k, ok)
	}
	if srcs := s.IdentityPolicies(k.ARN); len(srcs) != 1 || srcs[0].Name != "inline policy p of user alice" {
		t.Errorf("the policy after a restart: %+v", srcs)
	}
	if err := s.DeleteAccessKey(ctx, "alice", key.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(key.ID); ok {
		t.Error("a deleted key still signs")
	}
}

// TestSessionsWorkUntilTheyExpire: AssumeRole's credentials sign until their expiry; after it the signature check
// answers ExpiredTokenException, as STS credentials are refused on AWS.
func TestSessionsWorkUntilTheyExpire(t *testing.T) {
	ctx := context.Background()
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s, err := OpenStore(ctx, eng, "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	s.CreateUser(ctx, "alice")
	if _, err := s.CreateRole(ctx, "r", "", "", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`, 0); err != nil {
		t.Fatal(err)
	}
	alice := Request{Principal: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}
	// The trust policy names the account: alice's own policies must allow sts:AssumeRole too.
	var ie *Error
	if _, _, err := s.AssumeRole(ctx, alice, "arn:aws:iam::111122223333:role/r", "s1", 900, time.Now()); !errors.As(err, &ie) || ie.Code != "AccessDenied" {
		t.Fatalf("AssumeRole without an identity allow: %v", err)
	}
	s.PutUserPolicy(ctx, "alice", "assume", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/*"}}`)
	if _, _, err := s.AssumeRole(ctx, alice, "arn:aws:iam::111122223333:role/r", "s1", 7200, time.Now()); !errors.As(err, &ie) || ie.Code != "ValidationError" {
		t.Errorf("longer than the role's MaxSessionDuration: %v", err)
	}
	start := time.Now()
	c, _, err := s.AssumeRole(ctx, alice, "arn:aws:iam::111122223333:role/r", "s1", 900, start)
	if err != nil {
		t.Fatal(err)
	}
	clock := start
	v := auth.NewVerifier(s, func() time.Time { return clock })
	sign := func() error {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Security-Token", c.SessionToken)
		sum := sha256.Sum256([]byte("{}"))
		v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, SessionToken: c.SessionToken},
			req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", clock)
		_, err := v.Verify(req, []byte("{}"))
		return err
	}
	clock = start.Add(14 * time.Minute)
	if err := sign(); err != nil {
		t.Errorf("a session before its expiry: %v", err)
	}
	clock = start.Add(16 * time.Minute)
	var ae *auth.Error
	if err := sign(); !errors.As(err, &ae) || ae.Code != auth.ExpiredToken {
		t.Errorf("a session after its expiry: %v", err)
	}
	if srcs := s.IdentityPolicies(c.ARN); len(srcs) != 0 {
		t.Errorf("the role has no policies, its session got %+v", srcs)
	}
}
