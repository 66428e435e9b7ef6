package analytics

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

var bg = context.Background()

func openEngine(t *testing.T, path string) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// putTimed puts records i in [from, to): event time epoch + i×10 ms (a hundred a second), value i, over keys that
// spread them across the shards.
func putTimed(t *testing.T, eng *engine.Engine, stream string, from, to int) {
	t.Helper()
	var entries []engine.PutRecordsEntry
	for i := from; i < to; i++ {
		ts := epoch.Add(time.Duration(i) * 10 * time.Millisecond).Format(time.RFC3339Nano)
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: fmt.Sprint("k", i%17),
			Data: fmt.Appendf(nil, `{"ts":%q,"v":%d,"path":"/p%d"}`, ts, i, i%3)})
		if len(entries) == 500 || i == to-1 {
			out, err := eng.PutRecords(bg, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: entries})
			if err != nil || out.FailedRecordCount > 0 {
				t.Fatalf("PutRecords: %v", err)
			}
			entries = nil
		}
	}
}

func readRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartMidWindowEmitsEachWindowOnce: an application stopped with windows open (the engine closed, as on a
// quit) resumes from its checkpoints; every window is emitted exactly once, with every record of it counted once.
func TestRestartMidWindowEmitsEachWindowOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shardlab.db")
	eng := openEngine(t, path)
	n := 3
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	spec := AppSpec{Name: "per-second", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{{Name: "counts", Capture: "rows.ndjson",
			Text: "from events group by data.path as path window tumbling 1s on data.ts lateness 500ms select count() as n, sum(data.v) as total"}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(dir, "rows.ndjson")
	putTimed(t, eng, "events", 0, 1050) // 10.5 s of events
	waitFor(t, "the first windows", func() bool { return len(readRows(t, capture)) >= 15 })
	m.Close()
	eng.Close()

	eng = openEngine(t, path)
	m, err = OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	putTimed(t, eng, "events", 1050, 2000) // to 20 s: windows up to [19 s, 20 s) close once idle
	want := 19 * 3
	waitFor(t, "every window", func() bool { return len(readRows(t, capture)) >= want })
	time.Sleep(300 * time.Millisecond) // nothing more may come
	rows := readRows(t, capture)
	if len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		start, _ := time.Parse(time.RFC3339Nano, r["window_start"].(string))
		k := fmt.Sprint(start, r["path"])
		if seen[k] {
			t.Fatalf("window %s emitted twice", k)
		}
		seen[k] = true
		// records of second s with path p: i in [100s, 100s+100) with i%3 == p
		sec := int(start.Sub(epoch) / time.Second)
		p := int(strings.TrimPrefix(r["path"].(string), "/p")[0] - '0')
		cnt, total := 0, 0
		for i := sec * 100; i < sec*100+100; i++ {
			if i%3 == p {
				cnt++
				total += i
			}
		}
		if r["n"].(float64) != float64(cnt) || r["total"].(float64) != float64(total) {
			t.Fatalf("window %s: n %v total %v, want %d and %d", k, r["n"], r["total"], cnt, total)
		}
	}
	infos := m.List()
	if len(infos) != 1 || infos[0].State != StateRunning || len(infos[0].Queries) != 1 {
		t.Fatalf("%+v", infos)
	}
}

// TestIntoStreamChainsQueries: rows written into another stream can be read by a second application.
func TestIntoStreamChainsQueries(t *testing.T) {
	dir := t.TempDir()
	eng := openEngine(t, filepath.Join(dir, "shardlab.db"))
	n := 1
	for _, s := range []string{"events", "per-path"} {
		if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: s, ShardCount: &n}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	first := AppSpec{Name: "first", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{{Name: "q", Text: "from events group by data.path as path window tumbling 1s on data.ts select count() as n into per-path key path"}}}
	second := AppSpec{Name: "second", Source: Source{Stream: "per-path", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{{Name: "q", Text: "from per-path window tumbling 1h on data.window_end select sum(data.n) as n"}}}
	if err := m.Create(first, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(second, true); err != nil {
		t.Fatal(err)
	}
	putTimed(t, eng, "events", 0, 500)
	// 5 s of events: the first query closes four seconds (the fifth would end after the newest event)
	waitFor(t, "the first query's rows summed by the second", func() bool {
		_, _, open, err := m.Results("second", "q")
		return err == nil && len(open) == 1 && open[0].Values[2] == 400.0
	})
}

// TestRestartKeepsPlainQueriesAndRejectedWindowsOnce: after a restart, a query without windows outputs no record
// twice, and a window having rejected before the restart is not emitted from a partial replay.
func TestRestartKeepsPlainQueriesAndRejectedWindowsOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shardlab.db")
	eng := openEngine(t, path)
	n := 1
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	spec := AppSpec{Name: "mixed", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{
			{Name: "plain", Capture: "plain.ndjson", Text: "from events where data.v % 10 == 0 select data.v as v"},
			{Name: "sliding", Capture: "sliding.ndjson",
				Text: "from events window sliding 2s every 1s on data.ts select count() as n having n < 150"},
		}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	putTimed(t, eng, "events", 0, 550) // 5.5 s: plain rows for v = 0, 10, …, 540
	waitFor(t, "the plain rows", func() bool { return len(readRows(t, filepath.Join(dir, "plain.ndjson"))) == 55 })
	waitFor(t, "the sliding windows", func() bool { return len(readRows(t, filepath.Join(dir, "sliding.ndjson"))) >= 1 })
	m.Close()
	eng.Close()

	eng = openEngine(t, path)
	m, err = OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	putTimed(t, eng, "events", 550, 800)
	waitFor(t, "the plain rows after the restart", func() bool { return len(readRows(t, filepath.Join(dir, "plain.ndjson"))) >= 80 })
	time.Sleep(6 * time.Second) // idle: the last windows close
	plain := readRows(t, filepath.Join(dir, "plain.ndjson"))
	seen := map[float64]bool{}
	for _, r := range plain {
		if seen[r["v"].(float64)] {
			t.Fatalf("record %v output twice", r["v"])
		}
		seen[r["v"].(float64)] = true
	}
	if len(plain) != 80 {
		t.Fatalf("%d plain rows, want 80", len(plain))
	}
	// every 2 s window holds 200 records but the first ([−1 s, 1 s): 100) and, at the end, [7 s, 9 s) (100):
	// only those pass having, each once
	sliding := readRows(t, filepath.Join(dir, "sliding.ndjson"))
	for _, r := range sliding {
		if r["n"].(float64) != 100 {
			t.Fatalf("window %v emitted with n = %v (a partial replay of a rejected window?)", r["window_start"], r["n"])
		}
	}
	if len(sliding) != 1 {
		t.Fatalf("%d sliding rows, want only the first window's: %v", len(sliding), sliding)
	}
}

// TestWindowsAcrossASplit: a shard split while its windows are open; the children's records land in the same
// windows (read as soon as the parent is done), and every window counts every record once.
func TestWindowsAcrossASplit(t *testing.T) {
	dir := t.TempDir()
	eng := openEngine(t, filepath.Join(dir, "shardlab.db"))
	n := 1
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := AppSpec{Name: "split", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Queries: []QuerySpec{{Name: "q", Capture: "split.ndjson",
			Text: "from events window tumbling 1s on data.ts lateness 2s select count() as n"}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	putTimed(t, eng, "events", 0, 250)
	if err := eng.SplitShard(bg, engine.SplitShardInput{StreamRef: engine.StreamRef{StreamName: "events"},
		ShardToSplit: "shardId-000000000000", NewStartingHashKey: "170141183460469231731687303715884105728"}); err != nil {
		t.Fatal(err)
	}
	putTimed(t, eng, "events", 250, 600)
	capture := filepath.Join(dir, "split.ndjson")
	waitFor(t, "windows [0 s, 5 s)", func() bool { return len(readRows(t, capture)) >= 5 })
	time.Sleep(300 * time.Millisecond)
	rows := readRows(t, capture)
	if len(rows) != 5 {
		t.Fatalf("%d windows, want 5 (the sixth ends after the newest event)", len(rows))
	}
	for _, r := range rows {
		if r["n"].(float64) != 100 {
			t.Fatalf("window %v counted %v, want 100", r["window_start"], r["n"])
		}
	}
}
