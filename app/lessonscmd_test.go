package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLessonsCommands: list names at least 12 lessons, check reports a bad file at its line and column, and verify
// runs a named lesson's Show-me path (the package test verifies all of them).
func TestLessonsCommands(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t, func() error { return runLessons([]string{"list", "--data", dir}) })
	if n := strings.Count(out, "\n"); n < 12 {
		t.Errorf("lessons list printed %d lessons:\n%s", n, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("title: x\nminutes: 3\nteaches: y\nsteps:\n  - title: a\n    screen: Heatmap\n"), 0o644)
	if err := runLessons([]string{"check", bad}); err == nil {
		t.Error("check accepted a lesson without do, notice, check and show_me")
	}
	out = captureStdout(t, func() error { return runLessons([]string{"verify", "--data", dir, "keys-to-shards", "iterator-types"}) })
	if !strings.Contains(out, "✓ keys-to-shards") || !strings.Contains(out, "✓ iterator-types") {
		t.Errorf("verify printed:\n%s", out)
	}
	if err := runLessons([]string{"verify", "--data", dir, "no-such-lesson"}); err == nil {
		t.Error("verify of an unknown lesson succeeded")
	}
}

func captureStdout(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	ferr := f()
	os.Stdout = saved
	w.Close()
	b, _ := io.ReadAll(r)
	if ferr != nil {
		t.Fatalf("%v\n%s", ferr, b)
	}
	return string(b)
}
