package replay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

func waitJob(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestJobsReplayThenCaptureToTheirEnd(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "logs", 2)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte("{\"user\":\"a\",\"n\":1}\n{oops\n{\"user\":\"b\",\"n\":2}\n"), 0o644)
	jobs := NewJobs(eng)
	defer jobs.StopAll()
	if _, ok := jobs.Replay(); ok {
		t.Fatal("a replay before any was started")
	}
	if err := jobs.StartReplay(in, ReaderOptions{KeyField: "user"}, Options{Stream: "logs"}); err != nil {
		t.Fatal(err)
	}
	var rs ReplayStatus
	waitJob(t, "the replay to end", func() bool { rs, _ = jobs.Replay(); return rs.State != JobRunning })
	if rs.State != JobDone || rs.Err != nil || rs.Put != 2 || rs.Malformed != 1 || rs.Size == 0 || rs.Read != rs.Size ||
		len(rs.Bad) != 1 || rs.Bad[0].Line != 2 || rs.Path != in || rs.Started.IsZero() {
		t.Fatalf("replay: %+v", rs)
	}

	out := filepath.Join(dir, "out.ndjson")
	if err := jobs.StartCapture(out, CaptureOptions{Stream: "logs"}); err != nil {
		t.Fatal(err)
	}
	var cs CaptureStatus
	waitJob(t, "the capture to end", func() bool { cs, _ = jobs.Capture(); return cs.State != JobRunning })
	b, _ := os.ReadFile(out)
	if cs.State != JobDone || cs.Records != 2 || strings.Count(string(b), "\n") != 2 {
		t.Fatalf("capture: %+v, file:\n%s", cs, b)
	}
	// a second replay replaces the ended one
	if err := jobs.StartReplay(in, ReaderOptions{}, Options{Stream: "logs"}); err != nil {
		t.Fatal(err)
	}
	waitJob(t, "the second replay", func() bool { rs, _ = jobs.Replay(); return rs.State == JobDone })
}

func TestJobsReportFailuresAndRefuseBadOptions(t *testing.T) {
	eng := openEngine(t)
	jobs := NewJobs(eng)
	defer jobs.StopAll()
	if err := jobs.StartReplay("x", ReaderOptions{}, Options{Stream: "s", Speed: -1}); err == nil {
		t.Error("a negative speed started")
	}
	if err := jobs.StartCapture("", CaptureOptions{Stream: "s"}); err == nil {
		t.Error("a capture without a file started")
	}
	if err := jobs.StartWatch(WatchOptions{Dir: filepath.Join(t.TempDir(), "none"), Glob: "*.log", Stream: "s"}); err == nil {
		t.Error("a watch of a missing folder started")
	}
	if _, ok := jobs.Watch(); ok {
		t.Error("a refused watch is listed")
	}
	// a file that does not exist fails the job, in its own goroutine
	if err := jobs.StartReplay(filepath.Join(t.TempDir(), "missing.ndjson"), ReaderOptions{}, Options{Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	var rs ReplayStatus
	waitJob(t, "the replay to fail", func() bool { rs, _ = jobs.Replay(); return rs.State != JobRunning })
	if rs.State != JobFailed || !errors.Is(rs.Err, os.ErrNotExist) {
		t.Fatalf("replay of a missing file: %+v", rs)
	}
	// a capture of a stream that does not exist keeps the engine's error, code and all
	if err := jobs.StartCapture(filepath.Join(t.TempDir(), "out.ndjson"), CaptureOptions{Stream: "nope"}); err != nil {
		t.Fatal(err)
	}
	var cs CaptureStatus
	waitJob(t, "the capture to fail", func() bool { cs, _ = jobs.Capture(); return cs.State != JobRunning })
	if cs.State != JobFailed || engine.ErrorCode(cs.Err) != engine.ErrResourceNotFound {
		t.Fatalf("capture of a missing stream: %+v", cs)
	}
}

func TestJobsPauseCancelAndStopAll(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "logs", 1)
	dir := t.TempDir()
	// An hour's capture, a record a second, at its own pace: it runs until cancelled.
	var lines []byte
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := range 3600 {
		lines = AppendLine(lines, Record{Shard: "shardId-000000000000", Seq: fmt.Sprint(i), Key: "k",
			Arrival: t0.Add(time.Duration(i) * time.Second), Data: []byte("x")})
	}
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, lines, 0o644)
	jobs := NewJobs(eng)
	if err := jobs.StartReplay(in, ReaderOptions{}, Options{Stream: "logs", Speed: 1}); err != nil {
		t.Fatal(err)
	}
	waitJob(t, "the first record", func() bool { rs, _ := jobs.Replay(); return rs.Put == 1 })
	if !jobs.PauseReplay() {
		t.Fatal("PauseReplay did not pause")
	}
	if rs, _ := jobs.Replay(); !rs.Paused || rs.State != JobRunning {
		t.Fatalf("paused replay: %+v", rs)
	}
	if err := jobs.StartReplay(in, ReaderOptions{}, Options{Stream: "logs"}); !errors.Is(err, ErrJobRunning) {
		t.Fatalf("a second replay while one runs: %v", err)
	}
	if jobs.PauseReplay() {
		t.Fatal("PauseReplay did not resume")
	}
	jobs.Cancel(JobReplay)
	if rs, _ := jobs.Replay(); rs.State != JobStopped || rs.Err != nil || rs.Paused || rs.Put >= 3600 {
		t.Fatalf("cancelled replay: %+v", rs)
	}

	wdir := t.TempDir()
	if err := jobs.StartWatch(WatchOptions{Dir: wdir, Glob: "*.log", Stream: "logs"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(wdir, "app.log"), []byte("one\ntwo\n"), 0o644)
	var ws WatchStatus
	waitJob(t, "the watched lines", func() bool {
		ws, _ = jobs.Watch()
		return len(ws.Files) == 1 && ws.Files[0].Lines == 2
	})
	// a new watch replaces the running one
	if err := jobs.StartWatch(WatchOptions{Dir: wdir, Glob: "*.txt", Stream: "logs"}); err != nil {
		t.Fatal(err)
	}
	if ws, _ = jobs.Watch(); ws.State != JobRunning || len(ws.Files) != 0 {
		t.Fatalf("the replacing watch: %+v", ws)
	}
	it, _ := jobs.reg.Get(JobWatch)
	jobs.StopAll()
	select {
	case <-it.Run.Done():
	default:
		t.Fatal("StopAll returned with the watch running")
	}
	if err := jobs.StartWatch(WatchOptions{Dir: wdir, Glob: "*.log", Stream: "logs"}); err == nil {
		t.Error("a job started after StopAll")
	}
}
