package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/replay"
)

// TestMain lets a test run this binary as the real shardlab command: with SHARDLAB_TEST_MAIN set, the test
// binary behaves as `shardlab` with the remaining arguments, so a test can kill -9 a real process.
func TestMain(m *testing.M) {
	if os.Getenv("SHARDLAB_TEST_MAIN") != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startSelf(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SHARDLAB_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// TestWatchSurvivesKillNineUnderRotationAndTruncation runs `shardlab watch` as a real process, kills it with
// SIGKILL at moments of its own choosing while lines are appended, files rotate and one is truncated in place,
// restarts it each time, and finally checks every line is in the stream exactly once.
func TestWatchSurvivesKillNineUnderRotationAndTruncation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes for several seconds")
	}
	data, logs := t.TempDir(), t.TempDir()
	eng, err := engine.Open(engine.Options{Path: databasePath(data)})
	if err != nil {
		t.Fatal(err)
	}
	n := 2
	eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "logs", ShardCount: &n})
	eng.Close()

	app := filepath.Join(logs, "app.log")
	next := 0
	write := func(count int) {
		f, err := os.OpenFile(app, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for range count {
			fmt.Fprintf(f, "event %06d %s\n", next, strings.Repeat("x", next%50))
			next++
		}
		f.Close()
	}
	truncated := map[int]bool{} // lines lost by design: written to a file truncated before the watcher read them
	args := []string{"watch", logs, "--glob", "app.log*", "--stream", "logs", "--data", data, "--quiet"}
	for round := range 8 {
		cmd := startSelf(t, args...)
		for step := range 5 {
			write(200)
			time.Sleep(time.Duration(20+10*step) * time.Millisecond)
		}
		switch round {
		case 2, 5: // rename rotation: the rotated file keeps matching the glob
			os.Rename(app, fmt.Sprintf("%s.%d", app, round))
			write(100)
		case 3: // copytruncate, after letting the watcher catch up (a copy-truncate loses what it did not read)
			time.Sleep(500 * time.Millisecond)
			os.WriteFile(filepath.Join(logs, "copy-of-app"), nil, 0o644)
			os.Truncate(app, 0)
			write(100)
		}
		time.Sleep(time.Duration(30*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	// A last run to catch up, stopped cleanly.
	cmd := startSelf(t, args...)
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	eng, err = engine.Open(engine.Options{Path: databasePath(data)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var buf bytes.Buffer
	if err := replay.Capture(context.Background(), eng, &buf, replay.CaptureOptions{Stream: "logs"}, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		r, err := replay.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(r.Data)]++
	}
	var dup, missing []string
	for text, c := range seen {
		if c > 1 {
			dup = append(dup, text)
		}
	}
	for i := range next {
		if truncated[i] {
			continue
		}
		text := fmt.Sprintf("event %06d %s", i, strings.Repeat("x", i%50))
		if seen[text] == 0 {
			missing = append(missing, text)
		}
	}
	sort.Strings(dup)
	sort.Strings(missing)
	if len(dup) > 0 || len(missing) > 0 {
		t.Fatalf("%d lines written, %d stored; %d duplicated (first %v), %d missing (first %v)",
			next, len(seen), len(dup), first(dup), len(missing), first(missing))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
