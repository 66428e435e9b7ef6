package delivery

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

var bg = context.Background()

func openEngine(t *testing.T, path string) *engine.Engine {
	t.Helper()
	opts := engine.Options{Path: path}
	if path == "" {
		opts = engine.Options{InMemory: true}
	}
	eng, err := engine.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func putEvents(t *testing.T, eng *engine.Engine, from, to int) {
	t.Helper()
	var entries []engine.PutRecordsEntry
	for i := from; i < to; i++ {
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: fmt.Sprint("k", i%13),
			Data: fmt.Appendf(nil, `{"n":%d,"user":"u%d","path":"/p/%d"}`, i, i%3, i%5)})
		if len(entries) == 500 || i == to-1 {
			out, err := eng.PutRecords(bg, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: "events"}, Records: entries})
			if err != nil || out.FailedRecordCount > 0 {
				t.Fatalf("PutRecords: %v", err)
			}
			entries = nil
		}
	}
}

func zero() *int { z := 0; return &z }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readObjects returns every object under dir (gunzipped when .gz) by its slash path.
func readObjects(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			r = zr
		}
		rel, _ := filepath.Rel(dir, path)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], sc.Text())
		}
		return nil
	})
	return out
}

func TestSpecValidationNamesTheField(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "bad name", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: Folder, Path: "x"}}}, "name:"},
		{Spec{Name: "d", Destinations: []Destination{{Kind: Folder, Path: "x"}}}, "source.stream"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Processors: []Processor{{Kind: Transform, Expr: "data.("}},
			Destinations: []Destination{{Kind: Folder, Path: "x"}}}, "processors[0].expr: line 1, column"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: "s4"}}}, "destinations[0].kind"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: Folder, Path: "x",
			Prefix: "!{partitionKeyFromQuery:customer}/"}}}, "names no key"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: Folder, Path: "x",
			Prefix: "!{timestamp:yyyy-QQ}/"}}}, "not one of yyyy"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Buffer: Buffer{SizeMiB: 129}, Destinations: []Destination{{Kind: Folder, Path: "x"}}}, "buffer.sizeMiB: 129 is outside 1–128"},
		{Spec{Name: "d", Source: Source{Stream: "s"}, Processors: []Processor{{Kind: Compress, Codec: "lz4"}},
			Destinations: []Destination{{Kind: Folder, Path: "x"}}}, "processors[0].codec"},
	} {
		err := c.spec.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.spec, err, c.want)
		}
	}
	good := Spec{Name: "d", Source: Source{Stream: "s"}, Destinations: []Destination{{Kind: Folder, Path: "x"}}}
	parsed, err := ParseSpec(good.MarshalIndent())
	if err != nil || parsed.Name != "d" {
		t.Fatalf("round trip: %+v, %v", parsed, err)
	}
	if _, err := ParseSpec([]byte(`{"name":"d","sauce":{}}`)); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}

// TestStreamTransformFilterPartitionGzipFolder: the whole path from a stream to gzip objects in a folder laid out
// by partition key and hour, with a transform and a filter, nothing lost and nothing twice.
func TestStreamTransformFilterPartitionGzipFolder(t *testing.T) {
	eng := openEngine(t, "")
	n := 2
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 0, 1000)
	dir := t.TempDir()
	spec := Spec{Name: "events-to-folder", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{
			{Kind: Filter, Expr: "data.n % 10 != 0"},
			{Kind: Transform, Expr: `{"user": data.user, "n": data.n}`},
			{Kind: Partition, Keys: []PartitionKey{{Name: "user", Expr: "data.user"}}},
			{Kind: Newline}, {Kind: Compress, Codec: "gzip"},
		},
		Buffer:       Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir, Prefix: "user=!{partitionKeyFromQuery:user}/!{timestamp:yyyy}/"}},
	}
	d, err := Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "900 records delivered", func() bool {
		m := d.Metrics()
		if m.ProcessingFailed > 0 {
			t.Fatalf("processing failed: %+v", m)
		}
		return m.Delivered == 900
	})
	d.Stop(bg)
	m := d.Metrics()
	if m.Incoming != 1000 || m.Dropped != 100 || m.ProcessingFailed != 0 || m.Objects == 0 {
		t.Fatalf("metrics %+v", m)
	}
	name := regexp.MustCompile(`^user=u[012]/\d{4}/events-to-folder-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$`)
	seen := map[int]bool{}
	for path, lines := range readObjects(t, dir) {
		if !name.MatchString(path) {
			t.Fatalf("object %s is not laid out as Firehose would", path)
		}
		for _, l := range lines {
			var v struct {
				User string
				N    int
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil || !strings.HasPrefix(path, "user="+v.User+"/") {
				t.Fatalf("line %q in %s", l, path)
			}
			if seen[v.N] || v.N%10 == 0 {
				t.Fatalf("record %d twice or not filtered", v.N)
			}
			seen[v.N] = true
		}
	}
	if len(seen) != 900 {
		t.Fatalf("%d records in the folder, want 900", len(seen))
	}
}

// TestRestartNeitherLosesNorDuplicates: a delivery stopped and started again on a reopened data file continues
// after its checkpoints.
func TestRestartNeitherLosesNorDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng := openEngine(t, path)
	n := 3
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	dir := t.TempDir()
	spec := Spec{Name: "d", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir}}}
	putEvents(t, eng, 0, 700)
	d, err := Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "700 delivered", func() bool { return d.Metrics().Delivered == 700 })
	d.Stop(bg)
	putEvents(t, eng, 700, 1000)
	eng.Close()

	eng = openEngine(t, path)
	d, err = Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 300 put while stopped", func() bool { return d.Metrics().Delivered == 300 })
	d.Stop(bg)
	count := map[string]int{}
	for _, lines := range readObjects(t, dir) {
		for _, l := range lines {
			count[l]++
		}
	}
	if len(count) != 1000 {
		t.Fatalf("%d distinct records delivered, want 1,000", len(count))
	}
	for l, c := range count {
		if c != 1 {
			t.Fatalf("%s delivered %d times", l, c)
		}
	}
}

// TestFailuresGoToTheErrorOutput: a record a transform fails on, and a batch its destination refuses for the
// whole retry duration, both land in the error output with their errors; nothing disappears.
func TestFailuresGoToTheErrorOutput(t *testing.T) {
	eng := openEngine(t, "")
	n := 1
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	putEvents(t, eng, 0, 20)
	dir := t.TempDir()
	// A file where the objects' folder should be: every write under it fails, the error output beside it works.
	os.WriteFile(filepath.Join(dir, "blocked"), []byte("not a folder"), 0o644)
	one := 1
	spec := Spec{Name: "d", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors:   []Processor{{Kind: Transform, Expr: `data.n == 7 ? data.missing.field : data`}},
		Buffer:       Buffer{IntervalSeconds: zero()},
		RetrySeconds: &one,
		Destinations: []Destination{{Kind: Folder, Path: dir, Prefix: "blocked/"}},
	}
	d, err := Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every record accounted for", func() bool {
		m := d.Metrics()
		return m.ProcessingFailed == 1 && m.DeliveryFailed == 19
	})
	d.Stop(bg)
	if m := d.Metrics(); m.Retries == 0 || m.LastError == "" {
		t.Fatalf("metrics %+v: no retries recorded", m)
	}
	codes := map[string]int{}
	for path, lines := range readObjects(t, dir) {
		if path == "blocked" {
			continue
		}
		for _, l := range lines {
			var e errorLine
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("%s: %q", path, l)
			}
			want := "errors/processing-failed/"
			if e.ErrorCode == "DeliveryFailed" {
				want = "errors/delivery-failed/"
			}
			if !strings.HasPrefix(path, want) || e.ErrorMessage == "" || len(e.RawData) == 0 {
				t.Fatalf("error line %+v in %s", e, path)
			}
			codes[e.ErrorCode]++
		}
	}
	if codes["ProcessingFailed"] != 1 || codes["DeliveryFailed"] != 19 {
		t.Fatalf("error output holds %v", codes)
	}
}
