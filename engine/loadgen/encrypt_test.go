package loadgen

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
)

// An encrypting producer puts envelopes that open to its template's records, keys in the clear; across batches
// (the maker's two buffers swap) every record still opens.
func TestGeneratorEncryptsWithItsKeyFile(t *testing.T) {
	eng := openEngine(t, false)
	createStream(t, eng, "s", 1)
	dir := t.TempDir()
	key := envelope.GenerateKey()
	if err := envelope.WriteKeyFile(filepath.Join(dir, "p.key"), key); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager(eng, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.StopAll()
	// Relative to the data directory, as the sample file is; adding binds it to the key the file holds.
	id, err := m.Add(Config{Name: "enc", Stream: "s", Template: Clickstream, Rate: 2000, Keys: KeyDistribution{Kind: Uniform, Keys: 5},
		EncryptKeyFile: "p.key"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := m.Status(id); st.Config.EncryptKeyID != key.ID() {
		t.Fatalf("added with key id %q, want %s", st.Config.EncryptKeyID, key.ID())
	}
	if _, err := m.Add(Config{Name: "x", Stream: "s", Template: IoT, Rate: 1, Keys: KeyDistribution{Kind: Uniform, Keys: 1},
		EncryptKeyFile: "none.key"}); err == nil || !strings.Contains(err.Error(), "none.key") {
		t.Errorf("adding with a missing key file: %v", err)
	}
	if err := m.Start(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "several batches", func() bool { st, _ := m.Status(id); return st.Totals.Accepted >= 300 })
	m.Stop(id)

	recs := readAll(t, eng, "s")
	if len(recs) < 300 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		plain, err := key.Open(nil, r.Data)
		if err != nil {
			t.Fatalf("record %d does not open: %v (%q)", i, err, r.Data[:min(20, len(r.Data))])
		}
		var ev struct{ User string }
		if err := json.Unmarshal(plain, &ev); err != nil || ev.User != r.PartitionKey {
			t.Fatalf("record %d: %q under key %q", i, plain, r.PartitionKey)
		}
	}
}

// Without its key file, or with another key in it, a producer does not start: it never falls back to plaintext.
func TestEncryptingGeneratorRefusesAMissingOrChangedKey(t *testing.T) {
	eng := openEngine(t, false)
	createStream(t, eng, "s", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.key")
	key := envelope.GenerateKey()
	cfg := Config{Name: "enc", Stream: "s", Template: IoT, Rate: 10, Keys: KeyDistribution{Kind: Uniform, Keys: 1},
		EncryptKeyFile: path, EncryptKeyID: key.ID()}
	g, err := NewGenerator(eng, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("start without the key file: %v", err)
	}
	envelope.WriteKeyFile(path, envelope.GenerateKey())
	if err := g.Start(); err == nil || !strings.Contains(err.Error(), "set up with key "+key.ID()) {
		t.Errorf("start with another key in the file: %v", err)
	}
	os.Remove(path)
	envelope.WriteKeyFile(path, key)
	if err := g.Start(); err != nil {
		t.Errorf("start with its key: %v", err)
	}
	g.Stop()

	bad := cfg
	bad.RecordSize = MaxRecordSize
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "an envelope adds 101 bytes") {
		t.Errorf("a record too big once sealed: %v", err)
	}
	bad = cfg
	bad.EncryptKeyFile = ""
	if err := bad.Validate(); err == nil {
		t.Error("a key id without a key file is accepted")
	}
}

func readAll(t *testing.T, eng *engine.Engine, stream string) []engine.Record {
	t.Helper()
	ctx := context.Background()
	it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: stream},
		ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON"})
	if err != nil {
		t.Fatal(err)
	}
	var all []engine.Record
	for {
		out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Records) == 0 {
			return all
		}
		all = append(all, out.Records...)
		it = out.NextShardIterator
	}
}

func TestBindKeyRecordsTheKeysID(t *testing.T) {
	dir := t.TempDir()
	key := envelope.GenerateKey()
	envelope.WriteKeyFile(filepath.Join(dir, "p.key"), key)
	cfg := Config{Name: "p", Stream: "s", Template: IoT, Rate: 1, Keys: KeyDistribution{Kind: Uniform, Keys: 1}, EncryptKeyID: "stale"}
	if got, err := bindKey(cfg, dir); err != nil || got.EncryptKeyID != "" {
		t.Errorf("no key file: %+v, %v", got, err)
	}
	cfg.EncryptKeyFile = "p.key"
	if got, err := bindKey(cfg, dir); err != nil || got.EncryptKeyID != key.ID() {
		t.Errorf("bound: %q, %v", got.EncryptKeyID, err)
	}
	cfg.EncryptKeyFile = "none.key"
	if _, err := bindKey(cfg, dir); err == nil || !strings.Contains(err.Error(), "none.key") {
		t.Errorf("a missing key file: %v", err)
	}
}
