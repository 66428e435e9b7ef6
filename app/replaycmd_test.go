package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/kinesisapi"
)

func TestReplayAndCaptureCommandsOnTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(engine.Options{Path: databasePath(dir)})
	if err != nil {
		t.Fatal(err)
	}
	n := 2
	eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "logs", ShardCount: &n})
	eng.Close()

	in := filepath.Join(dir, "in.log")
	os.WriteFile(in, []byte("2026-11-26T09:00:00Z a\n2026-11-26T09:00:01Z b\n\n2026-11-26T09:00:02Z c\n"), 0o644)
	if err := runReplay([]string{in, "--stream", "logs", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ndjson")
	if err := runCapture([]string{"--stream", "logs", "--out", out, "--data", dir}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got := bytes.Count(b, []byte("\n")); got != 3 {
		t.Errorf("captured %d lines, want 3:\n%s", got, b)
	}
	if err := runReplay([]string{in, "--stream", "logs", "--data", dir, "--speed", "5000"}); err == nil || !strings.Contains(err.Error(), "speed 5000") {
		t.Errorf("speed 5000: %v", err)
	}
	if err := runReplay([]string{in, "--stream", "logs", "--data", dir, "--key", "size >"}); err == nil || !strings.Contains(err.Error(), "--key: line 1") {
		t.Errorf("a bad key expression: %v", err)
	}
	if err := runReplay([]string{in, "--stream", "logs", "--data", dir, "--key", `"k" + string(size)`}); err != nil {
		t.Errorf("a key expression: %v", err)
	}
	if err := runReplay([]string{filepath.Join(dir, "missing"), "--stream", "logs", "--data", dir}); err == nil {
		t.Error("a missing file was accepted")
	}
}

// The same commands through --endpoint: the Kinesis API over HTTP with aws-sdk-go-v2, as against any server.
func TestReplayAndCaptureThroughAnEndpoint(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv := httptest.NewServer(kinesisapi.New(eng, kinesisapi.Options{}))
	defer srv.Close()
	n := 2
	eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "remote", ShardCount: &n})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	var lines []string
	for i := range 1200 {
		lines = append(lines, fmt.Sprintf(`{"user":"u%d","n":%d}`, i%13, i))
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	if err := runReplay([]string{in, "--stream", "remote", "--endpoint", srv.URL, "--key", "data.user"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ndjson")
	if err := runCapture([]string{"--stream", "remote", "--out", out, "--endpoint", srv.URL}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got := bytes.Count(b, []byte("\n")); got != 1200 || !bytes.Contains(b, []byte(`"key":"u12"`)) {
		t.Errorf("captured %d lines through the endpoint, want 1,200 keyed by data.user", got)
	}
	if err := runReplay([]string{in, "--stream", "absent", "--endpoint", srv.URL}); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("a missing stream through the endpoint: %v", err)
	}
}
