package engine

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

func TestCheckpointsCommitWithTheirRecordsOrNotAtAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	e, err := Open(Options{Path: path, EnforceLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustCreate(t, e, "s", 1)
	ref := StreamRef{StreamName: "s"}
	if v, err := e.GetCheckpoint(ctx, "watch", "a.log"); v != nil || err != nil {
		t.Fatalf("missing checkpoint: %q, %v", v, err)
	}
	recs := []PutRecordsEntry{{Data: []byte("a"), PartitionKey: "k"}, {Data: []byte("b"), PartitionKey: "k"}}
	out, err := e.PutRecordsCheckpointed(ctx, PutRecordsInput{StreamRef: ref, Records: recs}, Checkpoint{Namespace: "watch", Key: "a.log", Value: []byte("offset=4")})
	if err != nil || out.FailedRecordCount != 0 {
		t.Fatalf("put: %v, %+v", err, out)
	}
	// 2,000 records into one shard whose limit is 1,000 a second: some are throttled, so the checkpoint must not move.
	var many []PutRecordsEntry
	for range 500 {
		many = append(many, PutRecordsEntry{Data: bytes.Repeat([]byte("x"), 10), PartitionKey: "k"})
	}
	lastFull, throttled := "offset=4", false
	for call := range 4 {
		value := []byte{byte('0' + call)}
		out, err := e.PutRecordsCheckpointed(ctx, PutRecordsInput{StreamRef: ref, Records: many}, Checkpoint{Namespace: "watch", Key: "a.log", Value: value})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedRecordCount > 0 {
			if out.FailedRecordCount != len(many) {
				t.Fatalf("a checkpointed call wrote %d of %d records", len(many)-out.FailedRecordCount, len(many))
			}
			throttled = true
			break
		}
		lastFull = string(value)
	}
	if !throttled {
		t.Fatal("no call was throttled")
	}
	e.Close()

	e2, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if v, _ := e2.GetCheckpoint(ctx, "watch", "a.log"); string(v) != lastFull {
		t.Fatalf("checkpoint after restart = %q, want %q from the last call whose every record was accepted", v, lastFull)
	}
	if err := e2.PutCheckpoint(ctx, Checkpoint{Namespace: "watch"}); ErrorCode(err) != ErrInvalidArgument {
		t.Errorf("a checkpoint without a key: %v", err)
	}
}
