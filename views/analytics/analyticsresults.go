package analytics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// maxShownRows bounds the results table: the open windows, then the newest closed ones.
const maxShownRows = 300

// chartSeries is how many groups the chart draws: the largest by their latest value.
const chartSeries = 8

// resultsView shows a query's rows as they come: a table of the open windows (marked) and the newest closed
// ones, and a chart of the first numeric column per group over time, or of the newest top-k as bars.
type resultsView struct {
	win      fyne.Window
	columns  []string
	rows     []shownRow
	paused   bool
	cleared  time.Time // rows of windows ending by then are hidden (Clear)
	table    *widget.Table
	tableBox *fyne.Container
	chart    *widgets.SeriesChart
	note     *widget.Label
	pause    *widget.Check
	content  fyne.CanvasObject
}

type shownRow struct {
	open bool
	row  analytics.Row
}

func newResultsView(win fyne.Window) *resultsView {
	r := &resultsView{win: win, chart: widgets.NewSeriesChart(), note: widget.NewLabel(""), tableBox: container.NewStack()}
	r.pause = widget.NewCheck("Pause", func(on bool) { r.paused = on })
	clearBtn := widget.NewButton("Clear", func() {
		r.cleared = time.Now()
		r.rows = nil
		r.refreshTable()
		r.chart.SetSeries("", nil, nil)
	})
	exportBtn := widget.NewButton("Export CSV…", r.exportCSV)
	bar := container.NewHBox(r.pause, clearBtn, exportBtn, r.note)
	split := ui.Remember("analytics.results", container.NewHSplit(r.tableBox, r.chart), 0.45)
	r.content = container.NewBorder(bar, nil, nil, nil, split)
	return r
}

// reset empties the view for another query.
func (r *resultsView) reset() {
	r.columns, r.rows, r.cleared = nil, nil, time.Time{}
	r.tableBox.Objects = nil
	r.tableBox.Refresh()
	r.chart.SetSeries("", nil, nil)
	ui.SetText(r.note, "")
}

// update shows a poll's rows unless paused.
func (r *resultsView) update(columns []string, emitted, open []analytics.Row) {
	if r.paused {
		return
	}
	if !slices.Equal(columns, r.columns) {
		r.columns = columns
		r.buildTable()
	}
	var rows []shownRow
	for _, row := range open {
		rows = append(rows, shownRow{true, row})
	}
	for i := len(emitted) - 1; i >= 0 && len(rows) < maxShownRows; i-- {
		if emitted[i].WindowEnd.After(r.cleared) {
			rows = append(rows, shownRow{false, emitted[i]})
		}
	}
	r.rows = rows
	r.refreshTable()
	if len(columns) > 0 {
		ui.SetText(r.note, fmt.Sprintf("%d open, %d closed shown", len(open), len(rows)-len(open)))
	}
	r.drawChart(emitted, open)
}

func (r *resultsView) buildTable() {
	if len(r.columns) == 0 {
		r.tableBox.Objects = nil
		r.tableBox.Refresh()
		return
	}
	cols := []ui.Column{{Title: "", Width: 70}} // "closed" in full
	for _, c := range r.columns {
		width := float32(110)
		if c == "window_start" || c == "window_end" {
			width = 104
		}
		cols = append(cols, ui.Column{Title: c, Width: width})
	}
	r.table = ui.NewColumnTable(cols, func() int { return len(r.rows) }, func(row, col int) string {
		if row >= len(r.rows) {
			return ""
		}
		sr := r.rows[row]
		if col == 0 {
			if sr.open {
				return "open"
			}
			return "closed"
		}
		return cellText(sr.row.Values[col-1])
	})
	r.tableBox.Objects = []fyne.CanvasObject{r.table}
	r.tableBox.Refresh()
}

func (r *resultsView) refreshTable() {
	if r.table != nil {
		r.table.Refresh()
	}
}

// cellText shows a value: times as the clock, numbers in a few digits, anything else as JSON.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case time.Time:
		return x.Local().Format("15:04:05")
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return ui.Thousands(x)
	case []analytics.TopEntry:
		s := ""
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += fmt.Sprintf("%s %d", e.Value, e.Count)
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// drawChart plots the first numeric column per group over the closed windows, or the newest top-k as bars.
func (r *resultsView) drawChart(emitted, open []analytics.Row) {
	first := 0
	for i, c := range r.columns {
		if c != "window_start" && c != "window_end" {
			first = i
			break
		}
	}
	all := append(slices.Clone(emitted), open...)
	for col := first; col < len(r.columns); col++ {
		for i := len(all) - 1; i >= 0; i-- {
			switch v := all[i].Values[col].(type) {
			case []analytics.TopEntry:
				var bars []widgets.Bar
				for _, e := range v {
					bars = append(bars, widgets.Bar{Label: e.Value, Value: float64(e.Count)})
				}
				r.chart.SetBars(r.columns[col]+" in the newest window", bars)
				return
			case float64, int64, int:
				r.plot(col, emitted)
				return
			case nil:
				continue
			}
			break
		}
	}
	title := ""
	if len(all) > 0 {
		title = "no numeric column to chart"
	}
	r.chart.SetSeries(title, nil, nil)
}

func (r *resultsView) plot(col int, emitted []analytics.Row) {
	series := map[string][]widgets.SeriesPoint{}
	latest := map[string]float64{}
	for _, row := range emitted {
		if !row.WindowEnd.After(r.cleared) {
			continue
		}
		f, ok := toFloat(row.Values[col])
		if !ok {
			continue
		}
		g := row.Group
		if g == "" {
			g = "all"
		}
		series[g] = append(series[g], widgets.SeriesPoint{T: row.WindowEnd, V: f})
		latest[g] = f
	}
	names := make([]string, 0, len(series))
	for g := range series {
		names = append(names, g)
	}
	slices.SortFunc(names, func(a, b string) int {
		if latest[a] != latest[b] {
			if latest[a] > latest[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		return 1
	})
	if len(names) > chartSeries {
		names = names[:chartSeries]
	}
	title := r.columns[col] + " per window"
	if len(series) > chartSeries {
		title += fmt.Sprintf(" (the %d largest of %d groups)", chartSeries, len(series))
	}
	r.chart.SetSeries(title, names, series)
}

// toFloat reads a value to chart: finite numbers only (a sum over a division by zero can be +Inf).
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// exportCSV writes the rows shown to a CSV file, open windows marked.
func (r *resultsView) exportCSV() {
	if len(r.columns) == 0 {
		return
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(append([]string{"state"}, r.columns...))
	for _, sr := range r.rows {
		rec := []string{"closed"}
		if sr.open {
			rec[0] = "open"
		}
		for _, v := range sr.row.Values {
			if t, ok := v.(time.Time); ok {
				rec = append(rec, t.UTC().Format(time.RFC3339Nano))
				continue
			}
			rec = append(rec, cellText(v))
		}
		w.Write(rec)
	}
	w.Flush()
	ui.SaveFile(r.win, "Export CSV", "results.csv", buf.Bytes())
}
