package analytics

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/ui"
)

// queryEditor edits the selected query: its text, checked as it is typed (an error shows with a caret at its
// place), a form that writes the same text, a capture file, and Apply, which stores it and restarts the
// application when it runs.
type queryEditor struct {
	s       *Screen
	name    *widget.Entry
	text    *widget.Entry
	problem *widget.Label
	capture *widget.Entry
	apply   *widget.Button
	remove  *widget.Button
	form    *queryForm
	content fyne.CanvasObject
}

func newQueryEditor(s *Screen) *queryEditor {
	e := &queryEditor{s: s, name: widget.NewEntry(), text: widget.NewMultiLineEntry(), capture: widget.NewEntry()}
	e.text.TextStyle.Monospace = true
	e.text.Wrapping = fyne.TextWrapWord
	e.text.SetMinRowsVisible(4)
	e.problem = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	e.problem.Importance = widget.DangerImportance
	e.problem.Wrapping = fyne.TextWrapBreak
	e.text.OnChanged = func(string) { e.check() }
	e.capture.SetPlaceHolder("optional: a file the rows are appended to, as NDJSON (relative: under the data directory)")
	e.apply = widget.NewButton("Apply", e.save)
	e.apply.Importance = widget.HighImportance
	e.remove = widget.NewButton("Remove query", e.removeQuery)
	e.form = newQueryForm(e)
	accordion := widget.NewAccordion(widget.NewAccordionItem("Build the query with a form", e.form.content))
	e.content = container.NewVScroll(container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Name"), container.NewHBox(e.apply, e.remove), e.name),
		e.text, e.problem, accordion,
		container.NewBorder(nil, nil, widget.NewLabel("Capture"), nil, e.capture)))
	return e
}

// load shows the selected query.
func (e *queryEditor) load() {
	q := e.spec()
	e.name.SetText(q.Name)
	e.text.SetText(q.Text)
	e.capture.SetText(q.Capture)
	e.check()
}

func (e *queryEditor) spec() analytics.QuerySpec {
	if info := e.s.current(); info != nil {
		for _, q := range info.Spec.Queries {
			if q.Name == e.s.query {
				return q
			}
		}
	}
	return analytics.QuerySpec{}
}

// check compiles the text as it is typed.
func (e *queryEditor) check() {
	_, err := analytics.Compile(e.text.Text)
	msg := queryProblem(e.text.Text, err)
	ui.SetText(e.problem, msg)
	if msg == "" {
		e.problem.Hide()
		e.apply.Enable()
	} else {
		e.problem.Show()
		e.apply.Disable()
	}
}

// queryProblem shows a query error with its line of text and a caret under the column.
func queryProblem(text string, err error) string {
	if err == nil {
		return ""
	}
	var qe *analytics.Error
	if !errors.As(err, &qe) {
		return err.Error()
	}
	lines := strings.Split(text, "\n")
	if qe.Line < 1 || qe.Line > len(lines) {
		return err.Error()
	}
	line := []rune(lines[qe.Line-1])
	col := min(max(qe.Column-1, 0), len(line))
	// long lines: show the 60 characters around the place, so the caret stays under it
	from := max(0, col-40)
	to := min(len(line), from+80)
	return fmt.Sprintf("%s\n%s\n%s^", err.Error(), string(line[from:to]), strings.Repeat(" ", col-from))
}

// save stores the edited query in its application.
func (e *queryEditor) save() {
	info := e.s.current()
	if info == nil {
		return
	}
	spec := info.Spec
	spec.Queries = slices.Clone(spec.Queries)
	edited := analytics.QuerySpec{Name: strings.TrimSpace(e.name.Text), Text: e.text.Text, Capture: strings.TrimSpace(e.capture.Text)}
	i := slices.IndexFunc(spec.Queries, func(q analytics.QuerySpec) bool { return q.Name == e.s.query })
	if i < 0 {
		spec.Queries = append(spec.Queries, edited)
	} else {
		spec.Queries[i] = edited
	}
	e.apply.Disable()
	e.s.update(spec, func(err error) {
		e.apply.Enable()
		if err != nil {
			ui.ShowError("Apply query", err, e.s.win)
			return
		}
		e.s.query = edited.Name
		e.s.retarget()
		e.s.results.reset()
		e.s.showDetail()
	})
}

func (e *queryEditor) removeQuery() {
	info := e.s.current()
	if info == nil || len(info.Spec.Queries) < 2 {
		ui.ShowError("Remove query", errors.New("an application keeps at least one query; delete the application instead"), e.s.win)
		return
	}
	spec := info.Spec
	spec.Queries = slices.DeleteFunc(slices.Clone(spec.Queries), func(q analytics.QuerySpec) bool { return q.Name == e.s.query })
	e.s.update(spec, func(err error) {
		if err != nil {
			ui.ShowError("Remove query", err, e.s.win)
			return
		}
		e.s.query = spec.Queries[0].Name
		e.s.retarget()
		e.s.results.reset()
		e.s.showDetail()
		e.load()
	})
}

// queryForm builds a query's text from its parts, for those who would rather not write it.
type queryForm struct {
	e                     *queryEditor
	where, groupBy, on    *widget.Entry
	kind                  *widget.Select
	size, slide, lateness *widget.Entry
	selects, having, into *widget.Entry
	content               fyne.CanvasObject
}

func newQueryForm(e *queryEditor) *queryForm {
	f := &queryForm{e: e}
	entry := func(placeholder string) *widget.Entry {
		w := widget.NewEntry()
		w.SetPlaceHolder(placeholder)
		return w
	}
	f.where = entry(samples.AnalyticsWhere.Text)
	f.groupBy = entry("data.page as page")
	f.kind = widget.NewSelect([]string{analytics.Tumbling, analytics.Sliding, analytics.Session}, nil)
	f.kind.SetSelected(analytics.Tumbling)
	f.size = entry("10s (a session's gap)")
	f.size.SetText("10s")
	f.slide = entry("sliding: 5s")
	f.on = entry("arrival time; or an event time, e.g. data.ts")
	f.lateness = entry("0s")
	f.selects = entry("count() as n, p95(data.latency_ms) as p95")
	f.selects.SetText("count() as n")
	f.having = entry("n > 10")
	f.into = entry("an output stream (optional)")
	write := widget.NewButton("Write into the editor", func() { e.text.SetText(f.compose()) })
	form := widget.NewForm(
		widget.NewFormItem("Where", f.where), widget.NewFormItem("Group by", f.groupBy),
		widget.NewFormItem("Window", container.NewGridWithColumns(3, f.kind, f.size, f.slide)),
		widget.NewFormItem("Time", container.NewGridWithColumns(2, f.on, f.lateness)),
		widget.NewFormItem("Select", f.selects), widget.NewFormItem("Having", f.having),
		widget.NewFormItem("Into", f.into))
	aggs := widget.NewLabel("Aggregates: count(), count(x), sum, min, max, avg, count_distinct (±0.81 %), p50, p90, " +
		"p95, p99, percentile(x, 99.9) (±1 %), first, last, topk(x, 5). A record is data, key, seq, shard, ts, size.")
	aggs.Wrapping = fyne.TextWrapWord
	aggs.Importance = widget.LowImportance
	f.content = container.NewVBox(form, aggs, write)
	return f
}

// compose writes the form's parts as one query text over the application's input.
func (f *queryForm) compose() string {
	stream := "STREAM"
	if info := f.e.s.current(); info != nil {
		stream = info.Spec.Source.Stream
	}
	t := func(w *widget.Entry) string { return strings.TrimSpace(w.Text) }
	var b strings.Builder
	b.WriteString("from " + stream)
	if t(f.where) != "" {
		b.WriteString("\nwhere " + t(f.where))
	}
	if t(f.groupBy) != "" {
		b.WriteString("\ngroup by " + t(f.groupBy))
	}
	b.WriteString("\nwindow " + f.kind.Selected + " " + t(f.size))
	if f.kind.Selected == analytics.Sliding {
		b.WriteString(" every " + t(f.slide))
	}
	if t(f.on) != "" {
		b.WriteString(" on " + t(f.on))
	}
	if t(f.lateness) != "" {
		b.WriteString(" lateness " + t(f.lateness))
	}
	b.WriteString("\nselect " + t(f.selects))
	if t(f.having) != "" {
		b.WriteString("\nhaving " + t(f.having))
	}
	if t(f.into) != "" {
		b.WriteString("\ninto " + t(f.into))
	}
	return b.String()
}
