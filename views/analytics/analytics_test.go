package analytics

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
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

// putEvents puts n JSON events a tenth of a second apart in event time, on five pages.
func putEvents(t *testing.T, eng *engine.Engine, stream string, from, n int) {
	t.Helper()
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var entries []engine.PutRecordsEntry
	for i := from; i < from+n; i++ {
		ts := base.Add(time.Duration(i) * 100 * time.Millisecond).Format(time.RFC3339Nano)
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: fmt.Sprint("k", i%5),
			Data: fmt.Appendf(nil, `{"ts":%q,"page":"/p%d","ms":%d}`, ts, i%5, 10+i%90)})
	}
	if _, err := eng.PutRecords(context.Background(), engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: entries}); err != nil {
		t.Fatal(err)
	}
}

// TestAnalyticsScreenEditRunAndWatch: a query typed wrong shows its error with a caret and cannot be applied; a
// right one applied and run fills the table with open and closed windows and draws a line per page.
func TestAnalyticsScreenEditRunAndWatch(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	if err := env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "web", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	mgr, err := analytics.OpenManager(env.Engine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Close)
	env.Analytics = mgr
	spec := analytics.AppSpec{Name: "pages", Source: analytics.Source{Stream: "web", Start: engine.IteratorTrimHorizon},
		Queries: []analytics.QuerySpec{{Name: "q", Text: "from web window tumbling 1s select count() as n"}}}
	if err := mgr.Create(spec, false); err != nil {
		t.Fatal(err)
	}
	var s *Screen
	uitest.UI(func() {
		win := test.NewTempWindow(t, widget.NewLabel(""))
		s = New(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1280, 800))
		s.Start()
	})
	t.Cleanup(func() { uitest.UI(s.Stop) })
	uitest.Eventually(t, "the application listed", func() bool { return len(s.infos) == 1 })
	uitest.UI(func() {
		s.list.Select(0)
		if s.query != "q" || s.editor.text.Text != spec.Queries[0].Text {
			t.Fatalf("selected %q %q", s.query, s.editor.text.Text)
		}
		s.editor.text.SetText("from web window tumbling 1s select count() as n having n >")
		if !strings.Contains(s.editor.problem.Text, "line 1, column") || !strings.HasSuffix(s.editor.problem.Text, "^") ||
			!s.editor.apply.Disabled() {
			t.Fatalf("problem %q, apply disabled %v", s.editor.problem.Text, s.editor.apply.Disabled())
		}
		// the form writes a query the editor accepts
		s.editor.form.groupBy.SetText("data.page as page")
		s.editor.form.on.SetText("data.ts")
		s.editor.form.selects.SetText("count() as n, avg(data.ms) as avg_ms")
		s.editor.form.size.SetText("1s")
		test.Tap(findButton(t, s.editor.form.content, "Write into the editor"))
		if s.editor.problem.Text != "" || !strings.Contains(s.editor.text.Text, "group by data.page as page") {
			t.Fatalf("form wrote %q: %q", s.editor.text.Text, s.editor.problem.Text)
		}
		test.Tap(s.editor.apply)
	})
	uitest.Eventually(t, "the query stored", func() bool {
		info := s.current()
		return info != nil && strings.Contains(info.Spec.Queries[0].Text, "avg(data.ms)") && !s.editor.apply.Disabled()
	})
	uitest.UI(func() { test.Tap(s.start) })
	uitest.Eventually(t, "running", func() bool { info := s.current(); return info != nil && info.State == analytics.StateRunning })
	putEvents(t, env.Engine, "web", 0, 35) // 3.5 s of events: three windows close, one stays open
	uitest.Eventually(t, "closed and open windows in the table", func() bool {
		open, closed := 0, 0
		for _, r := range s.results.rows {
			if r.open {
				open++
			} else {
				closed++
			}
		}
		return closed == 15 && open == 5
	})
	uitest.UI(func() {
		if got := s.results.columns; strings.Join(got, ",") != "window_start,window_end,page,n,avg_ms" {
			t.Fatalf("columns %v", got)
		}
		if title, lines := s.results.chart.Title(), s.results.chart.Series(); !strings.HasPrefix(title, "n per window") || len(lines) != 5 {
			t.Fatalf("chart %q with %v", title, lines)
		}
		test.Tap(s.results.pause)
	})
	putEvents(t, env.Engine, "web", 35, 20)
	time.Sleep(1500 * time.Millisecond) // paused: the table keeps what it had
	uitest.UI(func() {
		closed := 0
		for _, r := range s.results.rows {
			if !r.open {
				closed++
			}
		}
		if closed != 15 {
			t.Fatalf("paused table changed: %d closed rows", closed)
		}
	})
}

func TestMain(m *testing.M) { uitest.Main(m) }

func findButton(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b, ok := uitest.Find(root, func(b *widget.Button) bool { return b.Text == text })
	if !ok {
		t.Fatalf("no button %q", text)
	}
	return b
}

// TestCountsTextGivesTheSelectedQueryInFull: the query being edited gets every count, the others a clause each
// (with their errors), so the counts above the results stay two lines for four queries.
func TestCountsTextGivesTheSelectedQueryInFull(t *testing.T) {
	info := &analytics.AppInfo{State: analytics.StateRunning, Queries: []analytics.QueryStatus{
		{Name: "views", Stats: analytics.Stats{Records: 53270, Matched: 53270, Rows: 248, Windows: 1, Groups: 107}},
		{Name: "top", Stats: analytics.Stats{Records: 53270, Rows: 1}},
		{Name: "slow", Stats: analytics.Stats{Records: 53270, Errors: 2, LastError: "data.ms: not a number"}},
	}}
	got := countsText(info, "views")
	want := "views: 53,270 read, 53,270 matched, 248 rows, 1 open window (107 groups), 0 late, 0 errors\n" +
		"Other queries: top 1 row · slow 0 rows, 2 errors (last: data.ms: not a number)"
	if got != want {
		t.Fatalf("counts\n%s\nwant\n%s", got, want)
	}
	// Reads the shard refused are said, with why: the shard's 5 calls a second are everyone's.
	info.ReadsThrottled = 3
	if got := countsText(info, "views"); !strings.Contains(got, "Source reads throttled: 3 (a shard serves 5 GetRecords calls a second") {
		t.Errorf("counts after refused reads:\n%s", got)
	}
}
