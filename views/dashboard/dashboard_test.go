package dashboard

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

// snapshotFixture is a stream of 3 shards over 10 seconds: shard 0 quiet, shard 1 closed 4 seconds ago (split into 2
// and 3, created then), shard 2 and 3 its children with 3 hot and throttled.
func snapshotFixture(now time.Time) (*engine.MetricsSnapshot, []engine.ShardInfo) {
	halves := hashkey.EvenSplit(2)
	quarters := hashkey.SplitRange(halves[1], 2)
	snap := &engine.MetricsSnapshot{StreamName: "s", End: now, Seconds: 11, Limits: engine.DefaultLimits}
	mk := func(id string, r hashkey.Range, open bool, recs func(c int) uint32, thr func(c int) uint32) engine.ShardMetrics {
		m := engine.ShardMetrics{ShardId: id, Open: open, Range: r}
		for k := range engine.NumMetrics {
			m.Series[k] = make([]uint32, 11)
		}
		for c := range 11 {
			m.Series[engine.IncomingRecords][c] = recs(c)
			m.Series[engine.IncomingBytes][c] = recs(c) * 100
			m.Series[engine.WriteProvisionedThroughputExceeded][c] = thr(c)
		}
		return m
	}
	zero := func(int) uint32 { return 0 }
	splitAt := now.Add(-4 * time.Second)
	snap.Shards = []engine.ShardMetrics{
		mk("shardId-000000000000", halves[0], true, func(int) uint32 { return 100 }, zero),
		mk("shardId-000000000001", halves[1], false, func(c int) uint32 { return 900 }, zero),
		mk("shardId-000000000002", quarters[0], true, func(int) uint32 { return 200 }, zero),
		mk("shardId-000000000003", quarters[1], true, func(int) uint32 { return 1000 }, func(int) uint32 { return 300 }),
	}
	// Shard 0 has a reader over its read limit: 2 calls refused a second, which is not write throttling.
	for c := range 11 {
		snap.Shards[0].Series[engine.ReadProvisionedThroughputExceeded][c] = 2
	}
	snap.Shards[3].TopKeys = []engine.KeyShare{{Key: "hot", Share: 0.9, Hash: quarters[1].Start.Add1()}}
	shards := []engine.ShardInfo{
		{Shard: engine.Shard{ShardId: "shardId-000000000000"}, Created: now.Add(-time.Hour)},
		{Shard: engine.Shard{ShardId: "shardId-000000000001"}, Created: now.Add(-time.Hour), Closed: splitAt},
		{Shard: engine.Shard{ShardId: "shardId-000000000002", ParentShardId: "shardId-000000000001"}, Created: splitAt},
		{Shard: engine.Shard{ShardId: "shardId-000000000003", ParentShardId: "shardId-000000000001"}, Created: splitAt},
	}
	return snap, shards
}

func TestDashModelShowsDemandLineageAndThrottles(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	m := buildDashModel(snapshotFixture(now))
	if m.Heatmap.Columns != 10 {
		t.Fatalf("columns = %d, want the 10 complete seconds", m.Heatmap.Columns)
	}
	var labels []string
	for _, r := range m.Heatmap.Rows {
		labels = append(labels, r.Label)
	}
	if got := strings.Join(labels, ","); got != "0,1,2,3" {
		t.Errorf("heatmap rows %s: want key order with the parent above its children", got)
	}
	hot := m.Heatmap.Rows[3]
	if u := hot.Util[9]; math.Abs(float64(u)-1.3) > 1e-6 || !hot.Throttled[9] {
		t.Errorf("hot child's last second: util %v throttled %v, want 1.3 (demand counts throttled records) and marked", u, hot.Throttled[9])
	}
	if !math.IsNaN(float64(hot.Util[0])) {
		t.Error("a child shows traffic before it was created")
	}
	parent := m.Heatmap.Rows[1]
	if !math.IsNaN(float64(parent.Util[9])) || math.IsNaN(float64(parent.Util[0])) {
		t.Errorf("closed parent: first %v last %v, want traffic then empty after it closed", parent.Util[0], parent.Util[9])
	}
	if m.Rows[len(m.Rows)-1].Open || m.Rows[0].ID != "shardId-000000000000" {
		t.Errorf("table rows not open-first in key order: %+v", m.Rows)
	}
	if m.WriteThrottled != 300 || m.InRecords != 100+200+1000+900 {
		t.Errorf("totals: %v rec/s, %d throttled", m.InRecords, m.WriteThrottled)
	}
	if m.ReadThrottled != 2 {
		t.Errorf("read throttles last second: %d, want 2, counted apart from writes", m.ReadThrottled)
	}
	quiet := m.Heatmap.Rows[0]
	if quiet.Throttled[9] || !quiet.ReadThrottled[9] || hot.ReadThrottled[9] {
		t.Errorf("marks: shard 0 write %v read %v, shard 3 read %v; want only shard 0's read mark", quiet.Throttled[9],
			quiet.ReadThrottled[9], hot.ReadThrottled[9])
	}
	if r0 := m.Rows[0]; r0.ReadThrottles != 2*10 || r0.WriteThrottles != 0 {
		t.Errorf("shard 0's minute: %d writes, %d reads throttled; want 0 and 20", r0.WriteThrottles, r0.ReadThrottles)
	}
	r3 := m.Rows[2]
	if r3.ID != "shardId-000000000003" || r3.WriteThrottles != 300*10 || topKeysText(r3.TopKeys, 3) != "hot 90 %" {
		t.Errorf("hot row %+v", r3)
	}
}

// The split point Kinesis takes lies in [start+2, end−1]; "split at hot key" isolates the key within that.
func TestSplitAtHotKeyStaysWhereKinesisAcceptsIt(t *testing.T) {
	r := shardRow{KeyRange: hashkey.EvenSplit(4)[3], Hottest: &engine.KeyShare{Key: "k", Share: 0.6}}
	start, end := r.KeyRange.Start, r.KeyRange.End
	two := start.Add1().Add1()
	for _, tc := range []struct {
		name       string
		hash, want hashkey.Key
	}{
		{"lower half: the lower child ends with the key", two.Add1(), two.Add1().Add1()},
		{"upper half: the upper child starts with the key", end.Sub1().Sub1(), end.Sub1().Sub1()},
		{"at the start: the lower child is the key and one neighbour", start, two},
		{"one past the start", start.Add1(), two},
		{"at the end: the upper child is the key and one neighbour", end, end.Sub1()},
		{"one before the end", end.Sub1(), end.Sub1()},
	} {
		r.Hottest.Hash = tc.hash
		got, ok := hotKeySplit(r)
		if !ok || got != tc.want {
			t.Errorf("%s: split at %v (%v), want %v", tc.name, got, ok, tc.want)
		}
		if got.Cmp(two) < 0 || got.Cmp(end) >= 0 {
			t.Errorf("%s: %v is outside [start+2, end-1], which Kinesis refuses", tc.name, got)
		}
	}
	for name, row := range map[string]shardRow{
		"no heavy key":          {KeyRange: r.KeyRange, Hottest: &engine.KeyShare{Share: 0.01, Hash: start.Add1()}},
		"key outside the range": {KeyRange: r.KeyRange, Hottest: &engine.KeyShare{Share: 0.9, Hash: hashkey.EvenSplit(4)[0].Start}},
		"a range of three keys": {KeyRange: hashkey.Range{Start: start, End: two}, Hottest: &engine.KeyShare{Share: 0.9, Hash: start}},
		"no top key at all":     {KeyRange: r.KeyRange},
	} {
		if _, ok := hotKeySplit(row); ok {
			t.Errorf("%s: split at hot key offered", name)
		}
	}
}

func TestDashboardResplitsFromTheMapAndTheLensFollows(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	ctx := context.Background()
	n := 2
	if err := env.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "s", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1280, 800))
	d.Start()
	defer d.Stop()
	uitest.Eventually(t, "the first frame", func() bool { return d.model != nil && len(d.keyMap.Segments()) == 2 })

	// Find the key "user-0001" with the lens: it names the shard whose range holds its MD5.
	uitest.UI(func() { test.Type(d.lens.entry, "user-0001") })
	h := hashkey.FromPartitionKey("user-0001")
	want := "shardId-000000000000"
	if h.Fraction() >= 0.5 {
		want = "shardId-000000000001"
	}
	uitest.Eventually(t, "the lens to name "+want, func() bool { return strings.Contains(d.lens.result.Text, want) })

	// Tap shard 0 on the map, split it at its midpoint: the map shows three open shards.
	uitest.UI(func() { test.TapAt(d.keyMap, fyne.NewPos(d.keyMap.Size().Width*0.1, 40)) })
	uitest.Eventually(t, "shard 0 selected", func() bool { return d.selected == "shardId-000000000000" && !d.reshard.splitMid.Disabled() })
	uitest.UI(func() { test.Tap(d.reshard.splitMid) })
	uitest.Eventually(t, "three open shards on the map", func() bool {
		open := 0
		for _, s := range d.keyMap.Segments() {
			if s.Open {
				open++
			}
		}
		return open == 3
	})
	shards, _ := env.Engine.Shards(ctx, engine.StreamRef{StreamName: "s"})
	owner := ""
	for _, sh := range shards {
		if sh.Open && sh.Range.Contains(h) {
			owner = sh.ShardId
		}
	}
	uitest.Eventually(t, "the lens to name "+owner+" after the split", func() bool { return strings.Contains(d.lens.result.Text, owner) })
}

func TestProducerFormBuildsTheConfig(t *testing.T) {
	test.NewTempApp(t)
	f := newProducerForm(loadgen.Config{Name: "p", Template: loadgen.IoT, Rate: 10, Keys: loadgen.KeyDistribution{Kind: loadgen.Uniform, Keys: 5}}, nil)
	f.dist.SetSelected("One hot key")
	f.hot.SetText("75")
	f.rate.SetText("2500")
	cfg, err := f.config("s")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Keys.Kind != loadgen.HotKey || cfg.Keys.HotShare != 0.75 || cfg.Rate != 2500 || cfg.Stream != "s" {
		t.Errorf("config %+v", cfg)
	}
	f.rate.SetText("fast")
	if _, err := f.config("s"); err == nil || !strings.Contains(err.Error(), "rate") {
		t.Errorf("a bad rate: %v", err)
	}
}

// Hover details appear in full in a tooltip beside the pointer, not only in the one-line hint that truncates.
func TestHoverDetailsShowInFullInATooltip(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 2
	if err := env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1024, 640))
	d.Start()
	defer d.Stop()
	uitest.Eventually(t, "the first frame", func() bool { return d.model != nil && len(d.keyMap.Segments()) == 2 })
	uitest.UI(func() {
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(d.keyMap).AddXY(d.keyMap.Size().Width*0.75, 40)
		test.MoveMouse(win.Canvas(), pos)
	})
	uitest.Eventually(t, "the tooltip", func() bool {
		text := d.tip.Text()
		return strings.Contains(text, "shardId-000000000001") && strings.Contains(text, "hash keys") &&
			strings.Contains(text, "open")
	})
	uitest.UI(func() { test.MoveMouse(win.Canvas(), fyne.NewPos(2, 2)) })
	uitest.Eventually(t, "the tooltip to go", func() bool { return d.tip.Text() == "" })
}
