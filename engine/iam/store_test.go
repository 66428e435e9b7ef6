package iam

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shardlab/shardlab/engine"
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
