package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/lifecycle"
)

func TestKeyDistributionsDrawTheirShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const draws = 200_000
	count := func(d KeyDistribution) []int {
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		p := newKeyPicker(d)
		c := make([]int, d.Keys)
		for range draws {
			c[p.pick(r)]++
		}
		return c
	}
	hot := count(KeyDistribution{Kind: HotKey, Keys: 100, HotShare: 0.6})
	if share := float64(hot[0]) / draws; share < 0.58 || share > 0.62 {
		t.Errorf("hot key share = %.3f, want 0.60", share)
	}
	uni := count(KeyDistribution{Kind: Uniform, Keys: 10})
	for i, n := range uni {
		if n < draws/10*9/10 || n > draws/10*11/10 {
			t.Errorf("uniform key %d drawn %d times of %d", i, n, draws)
		}
	}
	zipf := count(KeyDistribution{Kind: Zipf, Keys: 1000, ZipfExponent: 1.2})
	if !(zipf[0] > zipf[1] && zipf[1] > zipf[9] && zipf[9] > zipf[999]) {
		t.Errorf("Zipf counts not falling with rank: %d %d %d %d", zipf[0], zipf[1], zipf[9], zipf[999])
	}
	// Key 1 of Zipf(s) has weight 1/H(n,s) of the total.
	var h float64
	for i := 1; i <= 1000; i++ {
		h += 1 / pow(float64(i), 1.2)
	}
	if got, want := float64(zipf[0])/draws, 1/h; got < want*0.95 || got > want*1.05 {
		t.Errorf("Zipf top key share = %.3f, want %.3f", got, want)
	}
}

func pow(x, y float64) float64 { return math.Pow(x, y) }

func TestConfigValidationNamesFieldAndLimit(t *testing.T) {
	good := Config{Stream: "s", Template: Clickstream, Rate: 100, Keys: KeyDistribution{Kind: Uniform, Keys: 10}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Stream = "" }, "stream"},
		{func(c *Config) { c.Template = "xml" }, `template "xml"`},
		{func(c *Config) { c.Rate = 0 }, "between 1 and 100000"},
		{func(c *Config) { c.Rate = MaxRate + 1 }, "rate"},
		{func(c *Config) { c.RecordSize = -1 }, "record size"},
		{func(c *Config) { c.Keys.Keys = 0 }, "keys 0"},
		{func(c *Config) { c.Keys = KeyDistribution{Kind: HotKey, Keys: 5, HotShare: 1.5} }, "hot key share 150"},
		{func(c *Config) { c.Keys = KeyDistribution{Kind: Zipf, Keys: 5, ZipfExponent: -1} }, "zipf exponent"},
		{func(c *Config) { c.Keys.Kind = "normal" }, `key distribution "normal"`},
	}
	for _, tc := range cases {
		c := good
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, tc.want)
		}
	}
}

func TestTemplatesMakeValidRecordsOfTheAskedSize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tmpl := range []string{Clickstream, IoT, AccessLog} {
		for _, size := range []int{0, 30, 200, 1024} {
			m, err := newRecordMaker(tmpl, "", size)
			if err != nil {
				t.Fatal(err)
			}
			rec := m.appendRecord([]byte("prefix"), keyName(tmpl, 7), now, r)[len("prefix"):]
			// A size below the template's own is a floor already met: the record stays whole.
			if size > 100 && len(rec) != size || len(rec) < size {
				t.Errorf("%s size %d: record is %d bytes: %s", tmpl, size, len(rec), rec)
			}
			if tmpl != AccessLog && !json.Valid(rec) {
				t.Errorf("%s size %d: not JSON: %s", tmpl, size, rec)
			}
			if !strings.Contains(string(rec), keyName(tmpl, 7)) {
				t.Errorf("%s: record does not carry its key: %s", tmpl, rec)
			}
		}
	}
}

func TestSampleFileLinesLoopInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.ndjson")
	os.WriteFile(path, []byte("a\n\nb\n  \nc\n"), 0o644)
	m, err := newRecordMaker(SampleFile, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 5 {
		got = append(got, string(m.appendRecord(nil, "k", time.Now(), nil)))
	}
	if strings.Join(got, ",") != "a,b,c,a,b" {
		t.Errorf("lines = %v", got)
	}
	if _, err := newRecordMaker(SampleFile, filepath.Join(t.TempDir(), "missing"), 0); err == nil {
		t.Error("a missing sample file was accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n\n"), 0o644)
	if _, err := newRecordMaker(SampleFile, empty, 0); err == nil || !strings.Contains(err.Error(), "no non-empty lines") {
		t.Errorf("empty sample file: %v", err)
	}
}

func openEngine(t *testing.T, enforce bool) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: enforce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// openDiskEngine is an engine on a file, for the tests that reopen what a manager stored.
func openDiskEngine(t *testing.T) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{Path: filepath.Join(t.TempDir(), "shardlab.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func createStream(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	if err := eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond; the deadline only bounds a broken run, it is not what the test measures.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestGeneratorHotKeyIsThrottledAndCountsMatchTheEngine(t *testing.T) {
	eng := openEngine(t, true)
	createStream(t, eng, "hot", 2)
	// Everything on one key: one shard takes 5,000 records/s against its 1,000 records/s limit.
	g, err := NewGenerator(eng, Config{Stream: "hot", Template: Clickstream, Rate: 5000,
		Keys: KeyDistribution{Kind: HotKey, Keys: 50, HotShare: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "throttled records", func() bool { return g.Status().Totals.Throttled > 0 })
	g.Stop()
	st := g.Status()
	if st.Running || st.Totals.Accepted == 0 || st.Totals.Failed != 0 {
		t.Fatalf("status after stop: %+v", st.Totals)
	}
	if stored := countRecords(t, eng, "hot"); stored != st.Totals.Accepted {
		t.Errorf("engine holds %d records, generator says %d were accepted", stored, st.Totals.Accepted)
	}
}

func TestGeneratorStopsItselfWhenItsStreamIsGone(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 5 s grace")
	}
	eng := openEngine(t, false)
	createStream(t, eng, "doomed", 1)
	g, _ := NewGenerator(eng, Config{Stream: "doomed", Template: IoT, Rate: 100, Keys: KeyDistribution{Kind: Uniform, Keys: 3}})
	g.Start()
	waitFor(t, "records", func() bool { return g.Status().Totals.Accepted > 0 })
	eng.DeleteStream(context.Background(), engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: "doomed"}})
	waitFor(t, "a failure", func() bool { return g.Status().Totals.Failed > 0 })
	waitFor(t, "the generator to stop itself", func() bool { return !g.Running() })
	if st := g.Status(); !strings.Contains(st.LastError, "does not exist") {
		t.Errorf("LastError = %q", st.LastError)
	}
	// A stream of that name coming back does not restart it.
	createStream(t, eng, "doomed", 1)
	time.Sleep(100 * time.Millisecond)
	if g.Running() {
		t.Error("the generator restarted by itself")
	}
}

func countRecords(t *testing.T, eng *engine.Engine, stream string) int {
	t.Helper()
	ctx := context.Background()
	shards, err := eng.Shards(ctx, engine.StreamRef{StreamName: stream})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range shards {
		it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: stream},
			ShardId: s.ShardId, ShardIteratorType: "TRIM_HORIZON"})
		if err != nil {
			t.Fatal(err)
		}
		for it != "" {
			out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it})
			if err != nil {
				t.Fatal(err)
			}
			total += len(out.Records)
			if len(out.Records) == 0 {
				break
			}
			it = out.NextShardIterator
		}
	}
	return total
}

func TestManagerKeepsGeneratorsStoppedAcrossRestart(t *testing.T) {
	eng := openDiskEngine(t)
	createStream(t, eng, "s", 1)
	dir := t.TempDir()
	m, err := OpenManager(eng, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "clicks", Stream: "s", Template: Clickstream, Rate: 50, Keys: KeyDistribution{Kind: Zipf, Keys: 300, ZipfExponent: 1.1}}
	id, err := m.Add(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(Config{Stream: "s"}); err == nil {
		t.Error("a bad config was added")
	}
	if err := m.Start(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "records", func() bool { st, _ := m.Status(id); return st.Totals.Accepted > 0 })
	cfg.Rate = 70
	if err := m.Update(id, cfg); err != nil {
		t.Fatal(err)
	}
	if st, _ := m.Status(id); !st.Running || st.Config.Rate != 70 || st.Totals.Accepted == 0 {
		t.Fatalf("update of a running generator: %+v (it restarts with the new rate, keeping its totals)", st)
	}
	if err := m.Update(id, Config{Stream: "s"}); err == nil {
		t.Error("an update to a bad config was applied")
	}
	m.StopAll()
	if st, _ := m.Status(id); st.Running {
		t.Fatal("StopAll left it running")
	}
	if _, err := os.Stat(filepath.Join(dir, LegacyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a %s was written: %v", LegacyFile, err)
	}

	m2, err := OpenManager(eng, dir)
	if err != nil {
		t.Fatal(err)
	}
	list := m2.List("")
	if len(list) != 1 || list[0].Running || list[0].Config != cfg || list[0].ID != id {
		t.Fatalf("reloaded %+v", list)
	}
	if len(m2.List("other")) != 0 {
		t.Error("List filtered by another stream returned generators")
	}
	id2, _ := m2.Add(cfg)
	if id2 <= id {
		t.Errorf("an id was reused: %d after %d", id2, id)
	}
	for _, id := range []int{id, id2} {
		if err := m2.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := m2.Remove(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("a second Remove: %v", err)
	}
	if m3, _ := OpenManager(eng, dir); len(m3.List("")) != 0 {
		t.Error("removed generator came back")
	}
}

// TestManagerStopsAGeneratorWhoseStreamIsGone: the registry marks it FAILED with the reason.
func TestManagerStopsAGeneratorWhoseStreamIsGone(t *testing.T) {
	eng := openDiskEngine(t)
	m, _ := OpenManager(eng, "")
	defer m.StopAll()
	id, err := m.Add(Config{Stream: "never", Template: IoT, Rate: 50, Keys: KeyDistribution{Kind: Uniform, Keys: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(id); err != nil {
		t.Fatal(err)
	}
	var it lifecycle.Item[Config, struct{}, *Generator]
	waitFor(t, "the generator to give up", func() bool { it, _ = m.reg.Get("1"); return it.State == StateFailed })
	if it.Error != "stream never does not exist" {
		t.Errorf("failed with %q", it.Error)
	}
}

func TestManagerMovesALegacyFileIn(t *testing.T) {
	eng := openDiskEngine(t)
	dir := t.TempDir()
	legacy := filepath.Join(dir, LegacyFile)
	os.WriteFile(legacy, []byte(`{"version": 1, "generators": [
		{"name": "a", "stream": "s", "template": "clickstream", "rate": 5, "keys": {"kind": "uniform", "keys": 1}},
		{"name": "b", "stream": "t", "template": "iot", "rate": 7, "keys": {"kind": "uniform", "keys": 2}}]}`), 0o644)
	if err := ImportLegacy(eng, dir); err != nil {
		t.Fatal(err)
	}
	m, err := OpenManager(eng, dir)
	if err != nil {
		t.Fatal(err)
	}
	list := m.List("")
	if len(list) != 2 || list[0].ID != 1 || list[0].Config.Name != "a" || list[1].Config.Rate != 7 || list[1].Running {
		t.Fatalf("moved in: %+v", list)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", legacy, err)
	}
	if _, err := os.Stat(legacy + ImportedSuffix); err != nil {
		t.Errorf("the renamed file: %v", err)
	}
	// a copy of the file that comes back (a crash before the rename) is not read twice
	b, _ := os.ReadFile(legacy + ImportedSuffix)
	os.WriteFile(legacy, b, 0o644)
	if err := ImportLegacy(eng, dir); err != nil {
		t.Fatal(err)
	}
	if m2, err := OpenManager(eng, dir); err != nil || len(m2.List("")) != 2 {
		t.Fatalf("after a second start: %v, %v", m2.List(""), err)
	}
}

func TestManagerRefusesBadLegacyFiles(t *testing.T) {
	for name, body := range map[string]string{
		"garbage": "{not json",
		"newer":   `{"version": 99, "generators": []}`,
		"invalid": `{"version": 1, "generators": [{"stream": "s", "template": "clickstream", "rate": -5, "keys": {"kind": "uniform", "keys": 1}}]}`,
	} {
		eng := openDiskEngine(t)
		dir := t.TempDir()
		path := filepath.Join(dir, LegacyFile)
		os.WriteFile(path, []byte(body), 0o644)
		if err := ImportLegacy(eng, dir); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
		if raw, _ := eng.Checkpoints(context.Background(), storeNamespace); len(raw) != 0 {
			t.Errorf("%s: moved %d generators in", name, len(raw))
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the file was moved: %v", name, err)
		}
	}
}

func TestGeneratorForgetsAFailureOncePutsSucceed(t *testing.T) {
	eng := openEngine(t, false)
	g, _ := NewGenerator(eng, Config{Stream: "late", Template: Clickstream, Rate: 200, Keys: KeyDistribution{Kind: Uniform, Keys: 3}})
	g.Start()
	defer g.Stop()
	waitFor(t, "a failure", func() bool { return g.Status().LastError != "" })
	createStream(t, eng, "late", 1)
	waitFor(t, "the error to clear", func() bool { st := g.Status(); return st.Totals.Accepted > 0 && st.LastError == "" })
}

func TestManagerStoresConcurrentAdds(t *testing.T) {
	eng := openDiskEngine(t)
	dir := t.TempDir()
	m, _ := OpenManager(eng, dir)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			m.Add(Config{Name: fmt.Sprint("g", i), Stream: "s", Template: IoT, Rate: 1, Keys: KeyDistribution{Kind: Uniform, Keys: 1}})
		})
	}
	wg.Wait()
	if m2, _ := OpenManager(eng, dir); len(m2.List("")) != 20 {
		t.Errorf("reloaded %d generators of 20", len(m2.List("")))
	}
}

func TestManagerResolvesSampleFilesInItsDirectoryAndRemovesAStreamsProducers(t *testing.T) {
	eng := openEngine(t, false)
	createStream(t, eng, "s", 1)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "samples"), 0o755)
	os.WriteFile(filepath.Join(dir, "samples", "lines.txt"), []byte("one\ntwo\n"), 0o644)
	m, _ := OpenManager(eng, dir)
	defer m.StopAll()
	id, err := m.Add(Config{Stream: "s", Template: SampleFile, SampleFile: "samples/lines.txt", Rate: 10, Keys: KeyDistribution{Kind: Uniform, Keys: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(id); err != nil {
		t.Fatalf("relative sample file: %v", err)
	}
	m.Add(Config{Stream: "other", Template: IoT, Rate: 1, Keys: KeyDistribution{Kind: Uniform, Keys: 1}})
	if err := m.RemoveStream("s"); err != nil {
		t.Fatal(err)
	}
	if left := m.List(""); len(left) != 1 || left[0].Config.Stream != "other" {
		t.Errorf("after RemoveStream: %+v", left)
	}
}
