package replay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// storedLines returns every record's data in the stream, sorted.
func storedLines(t *testing.T, eng *engine.Engine, stream string) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := Capture(context.Background(), eng, &buf, CaptureOptions{Stream: stream}, nil); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(r.Data))
	}
	sort.Strings(out)
	return out
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		fmt.Fprintf(f, "line %05d\n", i)
	}
	f.Close()
}

func want(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %05d", i))
	}
	return out
}

func waitStored(t *testing.T, eng *engine.Engine, stream string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := storedLines(t, eng, stream)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWatcherFollowsAppendsRotationTruncationAndRestarts(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "logs", 2)
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	appendLines(t, app, 0, 100)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not matched\n"), 0o644)

	run := func() (stop func()) {
		w, err := NewWatcher(eng, WatchOptions{Dir: dir, Glob: "*.log*", Stream: "logs", Rescan: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := run()
	waitStored(t, eng, "logs", 100)
	appendLines(t, app, 100, 150) // appended
	// Rotation: lines written just before the rename, the rename (the rotated name matches the glob too), then a
	// new file under the old name.
	appendLines(t, app, 150, 160)
	os.Rename(app, app+".1")
	appendLines(t, app, 160, 200)
	appendLines(t, filepath.Join(dir, "other.log"), 200, 230) // a new file
	got := waitStored(t, eng, "logs", 230)
	if strings.Join(got, ",") != strings.Join(want(0, 230), ",") {
		t.Fatalf("after appends, rotation and a new file: %d lines stored, want 230 exactly once", len(got))
	}
	stop()

	// While stopped: more lines, and copytruncate of app.log (copy away, truncate, write new lines).
	appendLines(t, app, 230, 240)
	stop = run()
	waitStored(t, eng, "logs", 240)
	// copytruncate's copy is a new file with old lines: its name must not match the glob, or it is read as new.
	data, _ := os.ReadFile(app)
	os.WriteFile(filepath.Join(dir, "app.copy"), data, 0o644)
	os.Truncate(app, 0)
	appendLines(t, app, 240, 250)
	got = waitStored(t, eng, "logs", 250)
	stop()
	if strings.Join(got, ",") != strings.Join(want(0, 250), ",") {
		t.Fatalf("after a restart and a truncation: %d lines stored, want 250 exactly once", len(got))
	}
	// A restart with nothing new puts nothing again.
	stop = run()
	time.Sleep(300 * time.Millisecond)
	stop()
	if got := storedLines(t, eng, "logs"); len(got) != 250 {
		t.Errorf("a restart re-put lines: %d stored", len(got))
	}
}

func TestWatcherCountsMalformedLinesAndKeepsGoing(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "events", 1)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "e.ndjson"), []byte("{\"a\":1}\n{broken\n{\"a\":2}\n"), 0o644)
	w, err := NewWatcher(eng, WatchOptions{Dir: dir, Glob: "*.ndjson", Stream: "events", Rescan: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	waitStored(t, eng, "events", 2)
	cancel()
	<-done
	files := w.Files()
	if len(files) != 1 || files[0].Malformed != 1 || !strings.Contains(files[0].LastMalformed, "byte 8") || files[0].Offset != files[0].Size {
		t.Errorf("status %+v", files)
	}
	if _, err := NewWatcher(eng, WatchOptions{Dir: filepath.Join(dir, "missing"), Stream: "events"}); err == nil {
		t.Error("a missing directory was accepted")
	}
	if _, err := NewWatcher(eng, WatchOptions{Dir: dir, Glob: "[", Stream: "events"}); err == nil {
		t.Error("a bad glob was accepted")
	}
}

func TestWatcherReadsLongLinesAndSkipsOversizedOnes(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "big", 1)
	dir := t.TempDir()
	long := strings.Repeat("a", 600<<10)    // longer than one read, shorter than a record's limit
	huge := strings.Repeat("b", MaxLine+10) // longer than any record
	os.WriteFile(filepath.Join(dir, "x.log"), []byte("first\n"+long+"\n"+huge+"\nlast\n"), 0o644)
	w, _ := NewWatcher(eng, WatchOptions{Dir: dir, Glob: "*.log", Stream: "big", Rescan: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	got := waitStored(t, eng, "big", 3)
	cancel()
	<-done
	if len(got) != 3 || got[0] != long || got[1] != "first" || got[2] != "last" {
		t.Fatalf("stored %d records (want first, the 600 KiB line and last)", len(got))
	}
	if f := w.Files(); f[0].Malformed != 1 || f[0].Offset != f[0].Size {
		t.Errorf("status %+v", f[0].Malformed)
	}
}
