package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/replay"
)

// encrypt-key new makes a 0600 key file; replay --encrypt-key stores envelopes; capture --decrypt-key writes the
// plaintext back, and without the key (or with another) the capture holds what the stream holds.
func TestEncryptKeyReplayAndCaptureCommands(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(engine.Options{Path: databasePath(dir)})
	if err != nil {
		t.Fatal(err)
	}
	n := 2
	eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	eng.Close()

	keyFile, otherFile := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	for _, f := range []string{keyFile, otherFile} {
		if err := runEncryptKey([]string{"new", f}); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode())
	}
	if err := runEncryptKey([]string{"new", keyFile}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("new over an existing file: %v", err)
	}
	if err := runEncryptKey([]string{"id", filepath.Join(dir, "none")}); err == nil {
		t.Error("id of a missing file")
	}
	if err := runEncryptKey([]string{"rotate", keyFile}); err == nil || !strings.Contains(err.Error(), "new or id") {
		t.Errorf("an unknown subcommand: %v", err)
	}

	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte(`{"user":"ada","n":1}`+"\n"+`{"user":"bob","n":2}`+"\n"), 0o644)
	if err := runReplay([]string{in, "--stream", "s", "--data", dir, "--key-field", "user", "--encrypt-key", keyFile}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("short\n"), 0o600)
	if err := runReplay([]string{in, "--stream", "s", "--data", dir, "--encrypt-key", bad}); err == nil ||
		!strings.Contains(err.Error(), "--encrypt-key: key file "+bad) {
		t.Errorf("a bad key file: %v", err)
	}

	capture := func(extra ...string) string {
		t.Helper()
		out := filepath.Join(dir, "out.ndjson")
		if err := runCapture(append([]string{"--stream", "s", "--out", out, "--data", dir}, extra...)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		return string(b)
	}
	if got := capture("--decrypt-key", keyFile); strings.Count(got, `"data":{"user":`) != 2 || !strings.Contains(got, `"key":"bob"`) {
		t.Errorf("decrypted capture:\n%s", got)
	}
	for _, sealed := range []string{capture(), capture("--decrypt-key", otherFile)} {
		if strings.Contains(sealed, `"user"`) || strings.Count(sealed, `"enc":"base64"`) != 2 {
			t.Errorf("capture without the key shows plaintext:\n%s", sealed)
		}
	}
	if err := runCapture([]string{"--stream", "s", "--out", "-", "--data", dir, "--decrypt-key", bad}); err == nil ||
		!strings.Contains(err.Error(), "--decrypt-key: key file "+bad) {
		t.Errorf("capture with a bad key file: %v", err)
	}
}

func TestDecryptReportCountsWhatWasWrittenAsItWas(t *testing.T) {
	var p replay.CaptureProgress
	p.Decrypted.Store(5)
	if got := decryptReport("aaaa", &p); got != "decrypted 5 with key aaaa\n" {
		t.Errorf("all opened: %q", got)
	}
	p.Plain.Store(2)
	p.OtherKey.Store(1)
	p.Damaged.Store(1)
	got := decryptReport("aaaa", &p)
	for _, want := range []string{"2 not encrypted: written as they are", "1 encrypted with another key, you gave key aaaa",
		"1 envelopes did not open"} {
		if !strings.Contains(got, want) {
			t.Errorf("report %q lacks %q", got, want)
		}
	}
}
