package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/shardlab/shardlab/engine/storage"
)

func TestStreamEncryption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shardlab.db")
	e, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, "secret", 1)
	mustPut(t, e, "secret", "k", "plain before")
	if err := e.StartStreamEncryption(ctx, ref("secret"), EncryptionKMS, "alias/aws/kinesis"); err != nil {
		t.Fatal(err)
	}
	out, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("secret"), PartitionKey: "card-4111", Data: []byte("top secret payload")})
	if err != nil || out.EncryptionType != EncryptionKMS {
		t.Fatalf("put to an encrypted stream: %+v, %v", out, err)
	}
	sum, _ := e.DescribeStreamSummary(ctx, ref("secret"))
	if sum.EncryptionType != EncryptionKMS || sum.KeyId != "alias/aws/kinesis" {
		t.Fatalf("summary %+v", sum)
	}

	// On disk the data and the partition key are not readable.
	s, _ := e.lookup(ctx, ref("secret"))
	_ = e.db.View(func(tx *storage.ReadTx) error {
		tx.Scan(s.id, 0, 0, func(_ uint64, v []byte) bool {
			if bytes.Contains(v, []byte("top secret")) || bytes.Contains(v, []byte("card-4111")) {
				t.Error("an encrypted record is stored in the clear")
			}
			return true
		})
		return nil
	})
	if err := e.StopStreamEncryption(ctx, ref("secret"), EncryptionKMS, "alias/other"); ErrorCode(err) != ErrInvalidArgument {
		t.Fatalf("stopping with another key: %v", err)
	}
	if err := e.StopStreamEncryption(ctx, ref("secret"), EncryptionKMS, "alias/aws/kinesis"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, e, "secret", "k", "plain after")
	e.Close()

	if fi, err := os.Stat(filepath.Join(dir, "shardlab.keys")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode().Perm())
	}
	e = openTest(t, Options{Path: path})
	res, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "secret", "shardId-000000000000", IteratorTrimHorizon, "")})
	if err != nil || len(res.Records) != 3 {
		t.Fatalf("read after restart: %+v, %v", res, err)
	}
	want := []struct{ data, key, enc string }{{"plain before", "k", EncryptionNone},
		{"top secret payload", "card-4111", EncryptionKMS}, {"plain after", "k", EncryptionNone}}
	for i, w := range want {
		r := res.Records[i]
		if string(r.Data) != w.data || r.PartitionKey != w.key || r.EncryptionType != w.enc {
			t.Errorf("record %d = %q %q %s, want %q %q %s", i, r.Data, r.PartitionKey, r.EncryptionType, w.data, w.key, w.enc)
		}
	}
	wantCode(t, e.StartStreamEncryption(ctx, ref("secret"), "AES", "k"), ErrValidation)
	wantCode(t, e.StartStreamEncryption(ctx, ref("secret"), EncryptionKMS, ""), ErrValidation)
}

func TestKeyFileIsValidatedNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "shardlab.keys")
	os.WriteFile(keys, []byte("{not json"), 0o600)
	if _, err := Open(Options{Path: filepath.Join(dir, "shardlab.db")}); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
	if b, _ := os.ReadFile(keys); string(b) != "{not json" {
		t.Fatal("the corrupt key file was changed")
	}
}

// An in-memory engine leaves nothing on disk, even if its process is killed before Close: its file is unlinked
// as soon as bbolt has it open, and its keys never leave memory.
func TestInMemoryEngineLeavesNothingBehind(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot unlink an open file")
	}
	e := openTest(t, Options{InMemory: true})
	if e.tmpDir != "" {
		t.Fatalf("temporary directory %s still exists while the engine runs", e.tmpDir)
	}
	mustCreate(t, e, "m", 1)
	if err := e.StartStreamEncryption(ctx, ref("m"), EncryptionKMS, "alias/mem"); err != nil {
		t.Fatal(err)
	}
	out := mustPut(t, e, "m", "k", "sealed in memory")
	res, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "m", out.ShardId, IteratorTrimHorizon, "")})
	if err != nil || len(res.Records) != 1 || string(res.Records[0].Data) != "sealed in memory" {
		t.Fatalf("read back %+v, %v", res, err)
	}
}
