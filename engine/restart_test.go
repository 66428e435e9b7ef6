package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine/storage"
	bolt "go.etcd.io/bbolt"
)

func TestRestartRestoresEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	e, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, "kept", 2)
	if err := e.AddTagsToStream(ctx, ref("kept"), map[string]string{"team": "data"}); err != nil {
		t.Fatal(err)
	}
	if err := e.IncreaseStreamRetentionPeriod(ctx, ref("kept"), 72); err != nil {
		t.Fatal(err)
	}
	if err := e.SetLimitsEnforced(ctx, ref("kept"), true); err != nil {
		t.Fatal(err)
	}
	var seqs []string
	for i := range 50 {
		seqs = append(seqs, mustPut(t, e, "kept", keyFor(i), keyFor(i)).SequenceNumber)
	}
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("kept"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: "1000"}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, "gone", 1)
	if err := e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("gone")}); err != nil {
		t.Fatal(err)
	}
	it := mustIterator(t, e, "kept", "shardId-000000000001", IteratorTrimHorizon, "")
	before, _ := e.Shards(ctx, ref("kept"))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openTest(t, Options{Path: path})
	after, _ := e.Shards(ctx, ref("kept"))
	if len(after) != len(before) {
		t.Fatalf("%d shards after restart, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i].Shard != after[i].Shard || before[i].Open != after[i].Open {
			t.Fatalf("shard %d changed across restart:\n%+v\n%+v", i, before[i], after[i])
		}
	}
	sum, _ := e.DescribeStreamSummary(ctx, ref("kept"))
	if sum.RetentionPeriodHours != 72 || !sum.LimitsEnforced || sum.OpenShardCount != 3 {
		t.Fatalf("summary after restart %+v", sum)
	}
	tags, _ := e.ListTagsForStream(ctx, ref("kept"), "", nil)
	if len(tags.Tags) != 1 || tags.Tags[0] != (Tag{"team", "data"}) {
		t.Fatalf("tags after restart %+v", tags.Tags)
	}
	if _, err := e.DescribeStreamSummary(ctx, ref("gone")); ErrorCode(err) != ErrResourceNotFound {
		t.Fatalf("deleted stream after restart: %v", err)
	}
	got := map[string]bool{}
	for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
		data, _ := readAll(t, e, mustIterator(t, e, "kept", sh, IteratorTrimHorizon, ""))
		for _, d := range data {
			got[d] = true
		}
	}
	if len(got) != 50 {
		t.Fatalf("%d of 50 records back after restart", len(got))
	}
	if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it}); err != nil {
		t.Fatalf("an iterator from before the restart: %v", err)
	}
	// The sequence counter resumes above every number issued before.
	next := mustPut(t, e, "kept", "k", "after restart")
	for _, s := range seqs {
		if !(next.SequenceNumber[:22] > s[:22]) {
			t.Fatalf("sequence number %s after restart is not above %s", next.SequenceNumber, s)
		}
	}
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	junk := []byte(strings.Repeat("not a database ", 2000))
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.db")
	os.WriteFile(short, []byte("tiny"), 0o600)

	foreign := filepath.Join(dir, "foreign.db")
	bdb, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("someone-else")); return err })
	bdb.Close()

	newer := filepath.Join(dir, "newer.db")
	bdb, _ = bolt.Open(newer, 0o600, nil)
	bdb.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("meta"))
		return b.Put([]byte("format"), []byte("99"))
	})
	bdb.Close()

	cases := []struct {
		path string
		want error
	}{
		{garbage, storage.ErrCorrupt},
		{short, storage.ErrCorrupt},
		{foreign, storage.ErrCorrupt},
		{newer, storage.ErrNewerFormat},
	}
	for _, c := range cases {
		before, _ := os.ReadFile(c.path)
		_, err := Open(Options{Path: c.path})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("Open(%s) = %v, want %v naming the file", filepath.Base(c.path), err, c.want)
		}
		if after, _ := os.ReadFile(c.path); string(after) != string(before) {
			t.Errorf("Open(%s) modified the file", filepath.Base(c.path))
		}
	}
}

func TestOpenRefusesALockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	openTest(t, Options{Path: path})
	_, err := Open(Options{Path: path})
	if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second Open = %v, want ErrLocked naming the file", err)
	}
}

func TestClosedEngineRefusesCalls(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	e.Close()
	if _, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("s"), PartitionKey: "k", Data: []byte("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("PutRecord after Close = %v", err)
	}
}
