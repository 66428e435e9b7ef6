// Package analytics is the Analytics screen: the analytics applications, a query editor over a stream and its
// results as a table and a chart.
package analytics

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/ui"
)

// Screen runs continuous queries: applications on the left (an input stream and its queries), the
// selected query's editor — validated as it is typed, or built with a form — and its live results, a table of the
// open and the last closed windows and a chart.
type Screen struct {
	env ui.Env
	win fyne.Window

	infos    []analytics.AppInfo
	selected string                    // application
	query    string                    // query of the selected application
	target   atomic.Pointer[[2]string] // selected and query, for the poller's goroutine

	list     *widget.List
	header   *widget.Label
	counts   *widget.Label
	start    *widget.Button
	stop     *widget.Button
	export   *widget.Button
	remove   *widget.Button
	queries  *widget.Select
	editor   *queryEditor
	results  *resultsView
	detail   *fyne.Container
	empty    fyne.CanvasObject
	stopPoll func()
	root     fyne.CanvasObject
}

func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win, header: widget.NewLabel(""), counts: widget.NewLabel("")}
	s.header.TextStyle.Bold = true
	s.counts.Wrapping = fyne.TextWrapWord
	s.list = widget.NewList(func() int { return len(s.infos) },
		func() fyne.CanvasObject { return widget.NewLabel("clickstream-live (RUNNING)") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(s.infos) {
				o.(*widget.Label).SetText(s.infos[id].Spec.Name + "  " + strings.ToLower(s.infos[id].State))
			}
		})
	s.list.OnSelected = func(id widget.ListItemID) {
		if id < len(s.infos) {
			s.selectApp(s.infos[id].Spec.Name)
		}
	}
	newBtn := widget.NewButton("New…", s.newApp)
	newBtn.Importance = widget.HighImportance
	importBtn := widget.NewButton("Import…", s.importApp)
	left := container.NewBorder(ui.Heading("Applications"), container.NewGridWithColumns(2, newBtn, importBtn), nil, nil, s.list)

	s.start = widget.NewButton("Start", func() { s.act("Start", s.env.Analytics.Start) })
	s.stop = widget.NewButton("Stop", func() { s.act("Stop", s.env.Analytics.Stop) })
	s.export = widget.NewButton("Export…", s.exportApp)
	s.remove = widget.NewButton("Delete…", s.askDelete)
	s.queries = widget.NewSelect(nil, func(q string) { s.selectQuery(q) })
	addQuery := widget.NewButton("Add query", s.addQuery)
	s.editor = newQueryEditor(s)
	s.results = newResultsView(win)
	queryBar := container.NewBorder(nil, nil, widget.NewLabel("Query"), addQuery, s.queries)
	top := container.NewVBox(s.header, container.NewHBox(s.start, s.stop, s.export, s.remove), s.counts, queryBar)
	split := ui.Remember("analytics.editor", container.NewVSplit(s.editor.content, s.results.content), 0.3)
	s.detail = container.NewBorder(top, nil, nil, nil, split)
	help := widget.NewLabel("An analytics application reads a stream and runs continuous queries over it: filter, " +
		"group, window and aggregate, written as one text such as\n\n  " + samples.AnalyticsQuery.Text + "\n\n" +
		"Create one with New…, or import a sample from <data>/samples/analytics.")
	help.Wrapping = fyne.TextWrapWord
	s.empty = container.NewPadded(help)
	main := ui.Remember("analytics.list", container.NewHSplit(left, container.NewStack(s.empty)), 0.18)
	s.root = main
	s.showDetail()
	return s
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

// analyticsSnapshot is what the poll fetches off the UI goroutine.
type analyticsSnapshot struct {
	infos   []analytics.AppInfo
	app     string
	query   string
	columns []string
	emitted []analytics.Row
	open    []analytics.Row
}

func (s *Screen) Start() {
	s.stopPoll = ui.Poll(time.Second, func() analyticsSnapshot {
		snap := analyticsSnapshot{infos: s.env.Analytics.List()}
		if t := s.target.Load(); t != nil {
			snap.app, snap.query = t[0], t[1]
		}
		if snap.app != "" && snap.query != "" {
			snap.columns, snap.emitted, snap.open, _ = s.env.Analytics.Results(snap.app, snap.query)
		}
		return snap
	}, s.apply)
}

func (s *Screen) Stop() {
	if s.stopPoll != nil {
		s.stopPoll()
	}
}

func (s *Screen) apply(snap analyticsSnapshot) {
	s.infos = snap.infos
	s.list.Refresh()
	s.showDetail()
	if snap.app == s.selected && snap.query == s.query {
		s.results.update(snap.columns, snap.emitted, snap.open)
	}
}

// retarget tells the poller what is selected now.
func (s *Screen) retarget() { s.target.Store(&[2]string{s.selected, s.query}) }

func (s *Screen) current() *analytics.AppInfo {
	for i := range s.infos {
		if s.infos[i].Spec.Name == s.selected {
			return &s.infos[i]
		}
	}
	return nil
}

func (s *Screen) selectApp(name string) {
	if name == s.selected {
		return
	}
	s.selected, s.query = name, ""
	if info := s.current(); info != nil && len(info.Spec.Queries) > 0 {
		s.query = info.Spec.Queries[0].Name
	}
	s.retarget()
	s.results.reset()
	s.showDetail()
	s.editor.load()
}

func (s *Screen) selectQuery(q string) {
	if q == "" || q == s.query {
		return
	}
	s.query = q
	s.retarget()
	s.results.reset()
	s.editor.load()
}

// showDetail shows the selected application's state and counts, or the introduction when none is selected.
func (s *Screen) showDetail() {
	info := s.current()
	stack := s.root.(*container.Split).Trailing.(*fyne.Container)
	if info == nil {
		if len(stack.Objects) != 1 || stack.Objects[0] != s.empty {
			stack.Objects = []fyne.CanvasObject{s.empty}
			stack.Refresh()
		}
		return
	}
	if len(stack.Objects) != 1 || stack.Objects[0] != s.detail {
		stack.Objects = []fyne.CanvasObject{s.detail}
		stack.Refresh()
	}
	start := info.Spec.Source.Start
	if start == "" {
		start = engine.IteratorLatest
	}
	ui.SetText(s.header, fmt.Sprintf("%s — reads %s (new from %s) — %s", info.Spec.Name, info.Spec.Source.Stream, start, info.State))
	ui.SetText(s.counts, countsText(info, s.queries.Selected))
	var names []string
	for _, q := range info.Spec.Queries {
		names = append(names, q.Name)
	}
	if strings.Join(names, "\x00") != strings.Join(s.queries.Options, "\x00") {
		s.queries.Options = names
		s.queries.Refresh()
	}
	if s.queries.Selected != s.query {
		s.queries.SetSelected(s.query)
	}
	running := info.State == analytics.StateRunning
	ui.SetEnabled(s.start, !running)
	ui.SetEnabled(s.stop, running)
}

// act runs Start or Stop off the UI goroutine.
func (s *Screen) act(what string, fn func(string) error) {
	name := s.selected
	ui.Background(func() (struct{}, error) { return struct{}{}, fn(name) }, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError(what+" "+name, err, s.win)
		}
	})
}

// update stores a changed application (restarting it when it runs) and refreshes the list at once.
func (s *Screen) update(spec analytics.AppSpec, then func(error)) {
	ui.Background(func() ([]analytics.AppInfo, error) {
		if err := s.env.Analytics.Update(spec); err != nil {
			return nil, err
		}
		return s.env.Analytics.List(), nil
	}, func(infos []analytics.AppInfo, err error) {
		if err == nil {
			s.infos = infos
			s.list.Refresh()
			s.showDetail()
		}
		then(err)
	})
}

// newApp asks for a name and an input stream and creates an application with one query counting its records.
func (s *Screen) newApp() {
	name := widget.NewEntry()
	name.SetPlaceHolder("errors-by-page")
	stream := widget.NewSelect(ui.StreamNames(s.env.Engine), nil)
	if len(stream.Options) > 0 {
		stream.SetSelected(stream.Options[0])
	}
	from := widget.NewSelect([]string{engine.IteratorLatest, engine.IteratorTrimHorizon}, nil)
	from.SetSelected(engine.IteratorLatest)
	items := []*widget.FormItem{widget.NewFormItem("Name", name), widget.NewFormItem("Input stream", stream),
		widget.NewFormItem("Start at", from)}
	dialog.ShowForm("New analytics application", "Create", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		spec := analytics.AppSpec{Name: strings.TrimSpace(name.Text),
			Source: analytics.Source{Stream: stream.Selected, Start: from.Selected},
			Queries: []analytics.QuerySpec{{Name: "records",
				Text: "from " + stream.Selected + " window tumbling 10s select count() as records, avg(size) as avg_bytes"}}}
		ui.Background(func() (struct{}, error) { return struct{}{}, s.env.Analytics.Create(spec, true) },
			func(_ struct{}, err error) {
				if err != nil {
					ui.ShowError("New analytics application", err, s.win)
					return
				}
				s.refreshAndSelect(spec.Name)
			})
	}, s.win)
}

func (s *Screen) refreshAndSelect(name string) {
	ui.Background(func() ([]analytics.AppInfo, error) { return s.env.Analytics.List(), nil },
		func(infos []analytics.AppInfo, _ error) {
			s.infos = infos
			s.list.Refresh()
			for i, info := range infos {
				if info.Spec.Name == name {
					s.list.Select(i)
				}
			}
		})
}

// importApp reads an application's JSON (the samples, say) and creates it, stopped.
func (s *Screen) importApp() {
	ui.OpenJSON(s.win, "Import analytics application", s.env.DataDir+"/samples/analytics", s.env.Analytics.Import,
		func(spec analytics.AppSpec) { s.refreshAndSelect(spec.Name) })
}

func (s *Screen) exportApp() {
	name := s.selected
	ui.Background(func() ([]byte, error) { return s.env.Analytics.Export(name) }, func(b []byte, err error) {
		if err != nil {
			ui.ShowError("Export", err, s.win)
			return
		}
		s.saveExport(name, b)
	})
}

func (s *Screen) saveExport(name string, b []byte) {
	ui.SaveFile(s.win, "Export", name+".json", b)
}

func (s *Screen) askDelete() {
	name := s.selected
	dialog.ShowConfirm("Delete analytics application", fmt.Sprintf("Delete %s? Its queries stop and its checkpoints are "+
		"forgotten; rows already written to streams and capture files stay.", name), func(yes bool) {
		if !yes {
			return
		}
		ui.Background(func() (struct{}, error) { return struct{}{}, s.env.Analytics.Delete(name) }, func(_ struct{}, err error) {
			if err != nil {
				ui.ShowError("Delete "+name, err, s.win)
				return
			}
			s.selected, s.query = "", ""
			s.retarget()
			s.list.UnselectAll()
			s.showDetail()
		})
	}, s.win)
}

// addQuery adds a query counting the input's records, to edit from there.
func (s *Screen) addQuery() {
	info := s.current()
	if info == nil {
		return
	}
	spec := info.Spec
	spec.Queries = append([]analytics.QuerySpec(nil), spec.Queries...)
	name := fmt.Sprintf("query-%d", len(spec.Queries)+1)
	spec.Queries = append(spec.Queries, analytics.QuerySpec{Name: name,
		Text: "from " + spec.Source.Stream + " window tumbling 10s select count() as records"})
	s.update(spec, func(err error) {
		if err != nil {
			ui.ShowError("Add query", err, s.win)
			return
		}
		s.query = name
		s.retarget()
		s.results.reset()
		s.showDetail()
		s.editor.load()
	})
}

// countsText is the application's state in a few lines: the selected query's counts in full, the others one short
// clause each (rows, and errors if any), so four queries take two lines rather than four and the results keep their
// room.
func countsText(info *analytics.AppInfo, selected string) string {
	var lines []string
	if info.Error != "" {
		lines = append(lines, "Failed: "+info.Error)
	}
	var others []string
	for _, q := range info.Queries {
		st := q.Stats
		if q.Name != selected && selected != "" {
			other := q.Name + " " + ui.Plural(int(st.Rows), "row")
			if st.Errors > 0 {
				other += ", " + ui.Plural(int(st.Errors), "error") + " (last: " + st.LastError + ")"
			}
			others = append(others, other)
			continue
		}
		line := fmt.Sprintf("%s: %s read, %s matched, %s, %s (%s), %s late, %s",
			q.Name, ui.Thousands(int64(st.Records)), ui.Thousands(int64(st.Matched)), ui.Plural(int(st.Rows), "row"),
			ui.Plural(st.Windows, "open window"), ui.Plural(st.Groups, "group"), ui.Thousands(int64(st.Late)),
			ui.Plural(int(st.Errors), "error"))
		if st.LastError != "" {
			line += " (last: " + st.LastError + ")"
		}
		lines = append(lines, line)
	}
	if len(others) > 0 {
		lines = append(lines, "Other queries: "+strings.Join(others, " · "))
	}
	if info.ReadsThrottled > 0 {
		lines = append(lines, ui.ReadsThrottledNote(info.ReadsThrottled))
	}
	if info.LastError != "" {
		lines = append(lines, "Last problem: "+info.LastError)
	}
	if info.State != analytics.StateRunning {
		lines = append(lines, "Stopped: Start runs the queries; results show here while it runs.")
	}
	return strings.Join(lines, "\n")
}
