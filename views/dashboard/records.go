package dashboard

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/ui"
)

// Start positions as the browser offers them.
var browseFrom = []string{"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AT_TIMESTAMP", browseResume}

// maxDetailBytes bounds what the hex and text views show of one record (a record can be 10 MiB).
const maxDetailBytes = 64 << 10

// recordsPanel is the dashboard's Records tab: a stream's records, from a start position, as history or a live
// tail, through an optional expr-lang filter, in a table that draws only the rows in view.
type recordsPanel struct {
	d     *Dashboard
	model *recordsModel

	shards    []string // chosen shard ids; none means all
	shardsBtn *widget.Button
	from      *widget.Select
	seq       *widget.Entry
	date      *widget.DateEntry
	clock     *widget.Entry
	follow    *widget.Check
	filter    *widget.Entry
	filterErr *canvas.Text
	status    *widget.Label
	pauseBtn  *widget.Button
	table     *widget.Table
	meta      *widget.Label
	views     map[string]*widget.Entry
	copyBtn   *widget.Button

	seqBox, timeBox fyne.CanvasObject // the inputs a start position needs, shown only for it
	started         bool
	snap            browseSnapshot
	selected        *engine.Record
	shown           string // the selected record's shard and sequence number
	selectedRow     int    // -1: none
	stopF           func()
	readFilter      string // the filter of the read under way, "" for none

	keyBtn, forgetBtn *widget.Button // recordskey.go
	keyLabel          *widget.Label
	keyDir            fyne.ListableURI // where the last key file was chosen
}

func newRecordsPanel(d *Dashboard) *recordsPanel {
	p := &recordsPanel{d: d, model: newRecordsModel(d.env.Engine), seq: widget.NewEntry(), date: widget.NewDateEntry(),
		clock: widget.NewEntry(), status: widget.NewLabel("Choose where to start and press Read."), meta: widget.NewLabel(""),
		filterErr: canvas.NewText("", theme.Color(theme.ColorNameError)), views: map[string]*widget.Entry{}, selectedRow: -1}
	p.newKeyControls()
	p.shardsBtn = widget.NewButton("All shards", p.pickShards)
	p.from = widget.NewSelect(browseFrom, func(string) { p.showFromInputs() })
	p.from.SetSelected("TRIM_HORIZON")
	p.seq.SetPlaceHolder("sequence number")
	p.clock.SetPlaceHolder("15:04:05")
	p.follow = widget.NewCheck("Live tail", nil)
	p.follow.SetChecked(true)
	p.filter = widget.NewEntry()
	p.filter.SetPlaceHolder("filter, e.g. " + samples.RecordFilter.Text)
	p.filter.OnChanged = func(text string) {
		p.checkFilter()
		if strings.TrimSpace(text) == "" && p.readFilter != "" {
			p.read() // clearing the filter shows everything again, without a second click
		}
	}
	p.filter.OnSubmitted = func(string) { p.read() }
	p.filterErr.TextSize = 12
	p.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), p.togglePause)
	p.status.Truncation = fyne.TextTruncateEllipsis
	p.meta.Wrapping = fyne.TextWrapWord
	p.table = ui.NewColumnTable(recordColumns, func() int { return len(p.snap.Rows) },
		func(row, col int) string { return recordCell(&p.snap.Rows[row], col) })
	p.table.OnSelected = func(id widget.TableCellID) { p.showRecord(id.Row) }
	for _, v := range []string{"JSON", "Text", "Hex", "Base64"} {
		e := widget.NewMultiLineEntry()
		e.TextStyle.Monospace = true
		e.Wrapping = fyne.TextWrapBreak
		p.views[v] = e
	}
	p.copyBtn = widget.NewButtonWithIcon("Copy record", theme.ContentCopyIcon(), p.copyRecord)
	p.copyBtn.Disable()
	return p
}

// recordColumns put the preview third, so beside the detail pane the data shows, not only the record's address.
var recordColumns = []ui.Column{{Title: "Shard", Width: 60}, {Title: "Partition key", Width: 110}, {Title: "Preview", Width: 420},
	{Title: "Arrival", Width: 110}, {Title: "Size", Width: 70}, {Title: "Sequence number", Width: 150}}

func recordCell(r *browsedRecord, col int) string {
	switch col {
	case 0:
		return ui.ShortID(r.Shard)
	case 1:
		return r.Key
	case 2:
		return r.Preview
	case 3:
		return r.Arrival.Local().Format("15:04:05.000")
	case 4:
		return ui.Thousands(int64(r.Size)) + " B"
	case 5:
		return shortSeq(r.Seq)
	}
	return ""
}

func (p *recordsPanel) content() fyne.CanvasObject {
	read := widget.NewButtonWithIcon("Read", theme.MediaPlayIcon(), p.read)
	read.Importance = widget.HighImportance
	p.timeBox = container.NewHBox(container.NewGridWrap(fyne.NewSize(ui.Scaled(140), p.date.MinSize().Height), p.date),
		container.NewGridWrap(fyne.NewSize(ui.Scaled(90), p.clock.MinSize().Height), p.clock))
	p.seqBox = container.NewGridWrap(fyne.NewSize(ui.Scaled(260), p.seq.MinSize().Height), p.seq)
	from := container.NewGridWrap(fyne.NewSize(ui.Scaled(210), p.from.MinSize().Height), p.from)
	p.showFromInputs()
	controls := container.NewHBox(p.shardsBtn, from, p.seqBox, p.timeBox, p.follow, read, p.pauseBtn)
	filterRow := container.NewBorder(nil, p.filterErr, widget.NewLabel("Filter"), container.NewHBox(p.keyBtn, p.forgetBtn), p.filter)
	detail := container.NewBorder(container.NewVBox(container.NewHBox(p.copyBtn), p.meta), nil, nil, nil,
		container.NewAppTabs(
			container.NewTabItem("JSON", p.views["JSON"]),
			container.NewTabItem("Text", p.views["Text"]),
			container.NewTabItem("Hex", p.views["Hex"]),
			container.NewTabItem("Base64", p.views["Base64"]),
		))
	split := ui.Remember("records", container.NewHSplit(p.table, detail), 0.62)
	return container.NewBorder(container.NewVBox(controls, filterRow, p.keyLabel, p.status), nil, nil, nil, split)
}

// showFromInputs shows the sequence-number entry or the date and time only for the start positions that use them.
func (p *recordsPanel) showFromInputs() {
	if p.seqBox == nil {
		return // called while the controls are being built
	}
	p.seqBox.Hide()
	p.timeBox.Hide()
	switch p.from.Selected {
	case "AT_SEQUENCE_NUMBER":
		p.seqBox.Show()
	case "AT_TIMESTAMP":
		p.timeBox.Show()
	}
}

func (p *recordsPanel) pickShards() {
	var ids []string
	if m := p.d.model; m != nil {
		for _, r := range m.Rows {
			ids = append(ids, r.ID)
		}
	}
	group := widget.NewCheckGroup(ids, nil)
	group.SetSelected(p.shards)
	var pop *widget.PopUp
	apply := widget.NewButton("Done", func() {
		p.shards = group.Selected
		switch len(p.shards) {
		case 0:
			p.shardsBtn.SetText("All shards")
		case 1:
			p.shardsBtn.SetText("Shard " + ui.ShortID(p.shards[0]))
		default:
			p.shardsBtn.SetText(fmt.Sprintf("%d shards", len(p.shards)))
		}
		pop.Hide()
	})
	note := widget.NewLabel("None checked reads every shard, closed ones included.")
	pop = widget.NewModalPopUp(container.NewBorder(note, apply, nil, nil, container.NewVScroll(group)), p.d.win.Canvas())
	pop.Resize(fyne.NewSize(320, 360))
	pop.Show()
}

// checkFilter compiles the filter as it is typed and says where an error is, without touching what is shown.
func (p *recordsPanel) checkFilter() *recordexpr.Filter {
	src := strings.TrimSpace(p.filter.Text)
	if src == "" {
		p.filterErr.Text = ""
		p.filterErr.Refresh()
		return nil
	}
	f, err := recordexpr.CompileFilter(src)
	if err != nil {
		p.filterErr.Text = "Filter: " + err.Error()
	} else {
		p.filterErr.Text = ""
	}
	p.filterErr.Refresh()
	return f
}

// query reads the controls into a query, or says what is wrong with them.
func (p *recordsPanel) query() (browseQuery, error) {
	q := browseQuery{Stream: p.d.stream, Shards: p.shards, From: p.from.Selected, Follow: p.follow.Checked}
	switch q.From {
	case "AT_SEQUENCE_NUMBER":
		q.Seq = strings.TrimSpace(p.seq.Text)
		if q.Seq == "" {
			return q, fmt.Errorf("AT_SEQUENCE_NUMBER needs a sequence number")
		}
	case "AT_TIMESTAMP":
		if p.date.Date == nil {
			return q, fmt.Errorf("AT_TIMESTAMP needs a date")
		}
		day := *p.date.Date
		clock := strings.TrimSpace(p.clock.Text)
		if clock == "" {
			clock = "00:00:00"
		}
		tod, err := time.ParseInLocation("15:04:05", clock, time.Local)
		if err != nil {
			return q, fmt.Errorf("time %q: want hours, minutes and seconds, e.g. 09:30:00", clock)
		}
		q.At = time.Date(day.Year(), day.Month(), day.Day(), tod.Hour(), tod.Minute(), tod.Second(), 0, time.Local)
	}
	if strings.TrimSpace(p.filter.Text) != "" {
		q.Filter = p.checkFilter()
		if q.Filter == nil {
			return q, fmt.Errorf("the filter does not compile: %s", p.filterErr.Text)
		}
	}
	return q, nil
}

func (p *recordsPanel) read() {
	q, err := p.query()
	if err != nil {
		ui.ShowError("Read records", err, p.d.win)
		return
	}
	p.started = true
	p.readFilter = strings.TrimSpace(p.filter.Text)
	p.table.UnselectAll()
	p.selectedRow = -1
	p.snap = browseSnapshot{}
	p.table.Refresh()
	p.model.setPaused(false)
	ui.SetButton(p.pauseBtn, "Pause", theme.MediaPauseIcon())
	go p.model.start(q) // start waits for the previous reader to stop: not on the UI goroutine
}

func (p *recordsPanel) togglePause() {
	paused := !p.snap.Paused
	p.model.setPaused(paused)
	if paused {
		ui.SetButton(p.pauseBtn, "Resume", theme.MediaPlayIcon())
	} else {
		ui.SetButton(p.pauseBtn, "Pause", theme.MediaPauseIcon())
	}
}

// start begins the panel's refreshes; the reader itself starts only when Read is pressed.
func (p *recordsPanel) start() {
	p.stopF = ui.Poll(ui.RefreshInterval, p.model.snapshot, p.apply)
}

func (p *recordsPanel) stop() {
	if p.stopF != nil {
		p.stopF()
	}
	go p.model.stop()
}

func (p *recordsPanel) apply(s browseSnapshot) {
	changed := len(s.Rows) != len(p.snap.Rows) || (len(s.Rows) > 0 && len(p.snap.Rows) > 0 && &s.Rows[0] != &p.snap.Rows[0])
	p.snap = s
	if changed {
		p.table.Refresh()
	}
	if !p.started {
		return // the status still says how to begin
	}
	state := "reading"
	switch {
	case s.Paused:
		state = "paused"
	case s.Done:
		state = "at the end"
	case p.follow.Checked:
		state = "following"
	}
	text := fmt.Sprintf("%s records shown of %s read · %s", ui.Thousands(int64(len(s.Rows))), ui.Thousands(s.Scanned), state)
	if s.Errs > 0 {
		text += fmt.Sprintf(" · the filter failed on %s (not shown; the others are): %s", ui.Plural(int(s.Errs), "record"),
			s.LastErr)
	} else if s.LastErr != "" {
		_, msg := ui.Explain(fmt.Errorf("%s", s.LastErr))
		text += " · " + msg
	}
	if s.Throttled > 0 {
		text += fmt.Sprintf(" · this browser's own reads: %s refused over a shard's read limit (5 calls/s, shared "+
			"with every reader of the shard) and retried", ui.Plural(int(s.Throttled), "call"))
	}
	ui.SetText(p.status, text)
}

// showRecord reads the selected record back in full, off the UI goroutine, and fills the detail views.
func (p *recordsPanel) showRecord(row int) {
	if row >= len(p.snap.Rows) {
		return
	}
	r := p.snap.Rows[row]
	p.shown = r.Shard + "/" + r.Seq
	p.selectedRow = row
	want := p.shown
	key := p.model.currentKey()
	type shownRecord struct {
		rec   *engine.Record
		note  string            // what encryption did, if anything
		views map[string]string // rendered here too: a hex dump of 64 KiB is not for the UI goroutine
	}
	ui.Background(func() (shownRecord, error) {
		rec, err := p.model.record(context.Background(), p.d.stream, r)
		if err != nil {
			return shownRecord{}, err
		}
		rev := envelope.Reveal(key, rec.Data)
		s := shownRecord{rec: rec, note: revealNote(rev)}
		if rev.State == envelope.Plain || rev.State == envelope.Decrypted {
			s.views = recordViews(rev.Data)
		} else {
			s.views = sealedViews(rev)
		}
		return s, nil
	}, func(s shownRecord, err error) {
		if p.shown != want {
			return // another row was picked meanwhile
		}
		if err != nil {
			_, msg := ui.Explain(err)
			p.meta.SetText(msg)
			return
		}
		rec := s.rec
		p.selected = rec
		p.copyBtn.Enable()
		meta := fmt.Sprintf("%s · sequence number %s · key %s · arrived %s · %s bytes", r.Shard, rec.SequenceNumber,
			rec.PartitionKey, rec.ApproximateArrivalTimestamp.Local().Format("2006-01-02 15:04:05.000"), ui.Thousands(int64(len(rec.Data))))
		if s.note != "" {
			meta += " · " + s.note
		}
		p.meta.SetText(meta)
		for name, text := range s.views {
			p.views[name].SetText(text)
		}
	})
}

// recordViews renders a record's data four ways: pretty JSON (when it is JSON), text, a hex dump and base64.
func recordViews(data []byte) map[string]string {
	views := map[string]string{}
	var pretty bytes.Buffer
	if json.Indent(&pretty, data, "", "  ") == nil {
		views["JSON"] = pretty.String()
	} else {
		views["JSON"] = "(not JSON)"
	}
	shown := data
	cut := ""
	if len(shown) > maxDetailBytes {
		shown, cut = shown[:maxDetailBytes], fmt.Sprintf("\n… %s more bytes", ui.Thousands(int64(len(data)-maxDetailBytes)))
	}
	if utf8.Valid(shown) {
		views["Text"] = string(shown) + cut
	} else {
		views["Text"] = "(not UTF-8 text: see Hex)"
	}
	views["Hex"] = hex.Dump(shown) + cut
	views["Base64"] = base64.StdEncoding.EncodeToString(data)
	return views
}

// copyRecord puts the selected record on the clipboard as a capture line, the format replay reads.
func (p *recordsPanel) copyRecord() {
	rec := p.selected
	if rec == nil {
		return
	}
	shard, _, _ := strings.Cut(p.shown, "/")
	line := replay.AppendLine(nil, replay.Record{Shard: shard, Seq: rec.SequenceNumber, Key: rec.PartitionKey,
		Arrival: rec.ApproximateArrivalTimestamp, Data: rec.Data})
	fyne.CurrentApp().Clipboard().SetContent(strings.TrimSuffix(string(line), "\n"))
}

// shortSeq keeps the digits of a sequence number that differ from record to record. Shardlab's are "49", a
// 20-digit counter and a 12-digit shard index: the counter's end is what changes; others keep their end.
func shortSeq(seq string) string {
	switch {
	case len(seq) == 34 && strings.HasPrefix(seq, "49"):
		return "…" + strings.TrimLeft(seq[12:22], "0")
	case len(seq) > 16:
		return "…" + seq[len(seq)-12:]
	}
	return seq
}
