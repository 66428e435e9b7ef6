package dashboard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestRecordsModelReadsFiltersAndFollows(t *testing.T) {
	env := uitest.NewEnv(t)
	n := 3
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	uitest.PutJSON(t, env.Engine, "s", 1000)
	m := newRecordsModel(env.Engine)
	defer m.stop()

	f, err := recordexpr.CompileFilter(`data.status >= 400 && key startsWith "user-"`)
	if err != nil {
		t.Fatal(err)
	}
	m.start(browseQuery{Stream: "s", From: "TRIM_HORIZON", Filter: f})
	waitModel(t, m, func(s browseSnapshot) bool { return s.Done })
	s := m.snapshot()
	if s.Scanned != 1000 || len(s.Rows) != 500 || s.Errs != 0 {
		t.Fatalf("history with a filter: scanned %d, rows %d, errors %d; want 1,000 scanned and 500 rows", s.Scanned, len(s.Rows), s.Errs)
	}
	if !strings.Contains(s.Rows[0].Preview, `"status":`) {
		t.Errorf("preview %q", s.Rows[0].Preview)
	}

	// Live tail from LATEST sees only what arrives after it starts.
	m.start(browseQuery{Stream: "s", From: "LATEST", Follow: true})
	time.Sleep(200 * time.Millisecond)
	uitest.PutJSON(t, env.Engine, "s", 30)
	waitModel(t, m, func(s browseSnapshot) bool { return len(s.Rows) == 30 })

	// A pause stops reading; resume catches up.
	m.setPaused(true)
	time.Sleep(300 * time.Millisecond)
	uitest.PutJSON(t, env.Engine, "s", 10)
	time.Sleep(500 * time.Millisecond)
	if got := len(m.snapshot().Rows); got != 30 {
		t.Errorf("paused browser read on: %d rows", got)
	}
	m.setPaused(false)
	waitModel(t, m, func(s browseSnapshot) bool { return len(s.Rows) == 40 })

	// One shard, by sequence number: starts there, in that shard only.
	first := m.snapshot().Rows[0]
	m.start(browseQuery{Stream: "s", Shards: []string{first.Shard}, From: "AT_SEQUENCE_NUMBER", Seq: first.Seq})
	waitModel(t, m, func(s browseSnapshot) bool { return s.Done })
	for _, r := range m.snapshot().Rows {
		if r.Shard != first.Shard || r.Seq < first.Seq {
			t.Fatalf("row %+v before %s or in another shard", r, first.Seq)
		}
	}
	rec, err := fetchRecord(context.Background(), env.Engine, "s", first.Shard, first.Seq)
	if err != nil || rec.SequenceNumber != first.Seq {
		t.Fatalf("fetch: %v %+v", err, rec)
	}
}

func waitModel(t *testing.T, m *recordsModel, cond func(browseSnapshot) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(m.snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; snapshot %d rows, scanned %d, done %v, err %q", len(m.snapshot().Rows), m.snapshot().Scanned, m.snapshot().Done, m.snapshot().LastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRecordViewsAndPreview(t *testing.T) {
	v := recordViews([]byte(`{"a":1}`))
	if !strings.Contains(v["JSON"], "\n  \"a\": 1\n") || v["Base64"] != "eyJhIjoxfQ==" || !strings.Contains(v["Hex"], "7b 22 61") {
		t.Errorf("views %+v", v)
	}
	bin := recordViews([]byte{0xff, 0xfe})
	if bin["JSON"] != "(not JSON)" || !strings.Contains(bin["Text"], "not UTF-8") {
		t.Errorf("binary views %+v", bin)
	}
	if got := preview([]byte("a\x00b\nc\xffd")); got != "a.b.c.d" {
		t.Errorf("preview = %q", got)
	}
	if got := shortSeq("4901882910729232711680000000000000"); got != "…9232711680" {
		t.Errorf("shortSeq = %q", got)
	}
}

func TestRecordsPanelShowsFilterErrorsInline(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1200, 740))
	uitest.UI(func() { test.Type(d.records.filter, "data.status >=") })
	if !strings.Contains(d.records.filterErr.Text, "line 1, column") {
		t.Errorf("inline error %q", d.records.filterErr.Text)
	}
	uitest.UI(func() {
		d.records.filter.SetText("")
		test.Type(d.records.filter, "size > 1")
	})
	if d.records.filterErr.Text != "" {
		t.Errorf("a good filter shows %q", d.records.filterErr.Text)
	}
}

func benchRecordsPanel(b *testing.B) (*recordsPanel, fyne.Window, int) {
	test.NewTempApp(b)
	eng, _ := engine.Open(engine.Options{InMemory: true})
	b.Cleanup(func() { eng.Close() })
	win := test.NewTempWindow(b, widget.NewLabel(""))
	p := newRecordsPanel(&Dashboard{env: ui.Env{Engine: eng}, win: win, stream: "s"})
	rows := make([]browsedRecord, 1_000_000)
	for i := range rows {
		rows[i] = browsedRecord{Shard: "shardId-000000000001", Seq: fmt.Sprintf("49%020d%012d", i, 1), Key: fmt.Sprint("user-", i%300),
			Arrival: time.Unix(int64(i), 0), Size: 180, Preview: `{"ts":"2026-11-26T09:00:01.022Z","user":"user-0006","page":"/checkout"}`}
	}
	p.snap = browseSnapshot{Rows: rows}
	win.SetContent(p.content())
	win.Resize(fyne.NewSize(1200, 740))
	p.table.Refresh()
	return p, win, len(rows)
}

// BenchmarkRecordsTableScroll is one scroll step of the records table over a million rows: the jump, and the
// cells of the rows now in view laid out and filled — the table's whole CPU frame on the UI goroutine (the GL
// driver then draws them). The target is ≤ 16 ms a frame.
func BenchmarkRecordsTableScroll(b *testing.B) {
	p, _, n := benchRecordsPanel(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.table.ScrollTo(widget.TableCellID{Row: (i * 7919) % n, Col: 0})
	}
}

// BenchmarkRecordsTableScrollCapture adds a full repaint of the 1200×740 window by Fyne's software painter, the
// test driver's stand-in for the GPU, for reference.
func BenchmarkRecordsTableScrollCapture(b *testing.B) {
	p, win, n := benchRecordsPanel(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.table.ScrollTo(widget.TableCellID{Row: (i * 7919) % n, Col: 0})
		win.Canvas().Capture()
	}
}

// TestRecordsTailResumesWhereItStopped: the resumable tail starts at LATEST the first time, and after a stop picks
// up exactly the records that arrived meanwhile — it is a consumer application with checkpoints.
func TestRecordsTailResumesWhereItStopped(t *testing.T) {
	env := uitest.NewEnv(t)
	n := 2
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	uitest.PutJSON(t, env.Engine, "s", 50) // before the tail ever ran: not shown
	m := newRecordsModel(env.Engine)
	defer m.stop()
	m.start(browseQuery{Stream: "s", From: browseResume, Follow: true})
	sum, _ := env.Engine.DescribeStreamSummary(context.Background(), engine.StreamRef{StreamName: "s"})
	uitest.Eventually(t, "the tail holding both shards", func() bool {
		leases, _ := consumer.Leases(context.Background(), env.Engine, tailApp, sum.StreamARN)
		return len(leases) == 2 && leases[0].Owner == tailWorker && leases[1].Owner == tailWorker
	})
	time.Sleep(300 * time.Millisecond) // its readers open their LATEST iterators
	uitest.PutJSON(t, env.Engine, "s", 20)
	waitModel(t, m, func(s browseSnapshot) bool { return len(s.Rows) == 20 })
	m.stop()

	uitest.PutJSON(t, env.Engine, "s", 15) // while the tail is away
	m.start(browseQuery{Stream: "s", From: browseResume, Follow: true})
	waitModel(t, m, func(s browseSnapshot) bool { return len(s.Rows) == 15 })
	time.Sleep(300 * time.Millisecond)
	if got := len(m.snapshot().Rows); got != 15 {
		t.Fatalf("resumed tail shows %d records, want the 15 put while it was stopped", got)
	}
}

// A record the browser read is shown from what it holds: with the shard's 5 calls/s spent by another reader, a
// click still shows the record, not "Rate exceeded".
func TestRecordDetailNeverShowsAThrottleForTheUsersClick(t *testing.T) {
	env := uitest.NewEnv(t)
	n := 1
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	uitest.PutJSON(t, env.Engine, "s", 20)
	m := newRecordsModel(env.Engine)
	defer m.stop()
	m.start(browseQuery{Stream: "s", From: "TRIM_HORIZON"})
	waitModel(t, m, func(s browseSnapshot) bool { return s.Done })
	rows := m.snapshot().Rows
	spend := func() { // another reader takes every call the shard has this second
		it, _ := env.Engine.GetShardIterator(context.Background(), engine.GetShardIteratorInput{
			StreamRef: engine.StreamRef{StreamName: "s"}, ShardId: rows[0].Shard, ShardIteratorType: "LATEST"})
		for range 10 {
			env.Engine.GetRecords(context.Background(), engine.GetRecordsInput{ShardIterator: it})
		}
	}
	spend()
	rec, err := m.record(context.Background(), "s", rows[7])
	if err != nil || rec.SequenceNumber != rows[7].Seq || !strings.Contains(string(rec.Data), `"i":7`) {
		t.Fatalf("held record: %v, %v", rec, err)
	}
	// One the browser no longer holds is read back, waiting out the throttle rather than reporting it.
	m.recent.reset()
	spend()
	rec, err = m.record(context.Background(), "s", rows[3])
	if err != nil || !strings.Contains(string(rec.Data), `"i":3`) {
		t.Fatalf("record read back under throttling: %v, %v", rec, err)
	}
}

func TestRecordCacheKeepsTheNewestWithinItsBudget(t *testing.T) {
	c := newRecordCache(100)
	for i := range 10 {
		c.put(fmt.Sprint(i), make([]byte, 30))
	}
	if _, ok := c.get("6"); ok {
		t.Error("an old record is kept past the budget")
	}
	for _, k := range []string{"7", "8", "9"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("record %s, among the newest, was dropped", k)
		}
	}
	c.put("huge", make([]byte, 101))
	if _, ok := c.get("huge"); ok {
		t.Error("a record over the whole budget is kept")
	}
}

// A filter that fails on some records shows the others and says how many failed; clearing it reads all again.
func TestRecordsFilterErrorsCountAndClearingRereads(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	uitest.PutJSON(t, env.Engine, "s", 10) // JSON with a status
	env.Engine.PutRecord(context.Background(), engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: "s"},
		PartitionKey: "k", Data: []byte(`{"page":"/"}`)}) // no status: the filter fails on it
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	p := d.records
	p.follow.SetChecked(false)
	p.start()
	t.Cleanup(p.stop)
	uitest.UI(func() {
		test.Type(p.filter, "data.status >= 300")
		p.read()
	})
	uitest.Eventually(t, "the filtered read", func() bool {
		return strings.Contains(p.status.Text, "failed on 1 record ") && len(p.snap.Rows) == 7
	})
	uitest.UI(func() { p.filter.SetText("") })
	uitest.Eventually(t, "the unfiltered read", func() bool { return len(p.snap.Rows) == 11 })
}
