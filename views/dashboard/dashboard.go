// Package dashboard is a stream's dashboard: the shard map and heatmap with resharding and the key lens (Overview),
// and the Shards, Records, Producers, Consumers and Faults tabs, all refreshed from one poll of the engine's metrics.
package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// quietHeatmapPeriod is how often the heatmap moves while the stream has no traffic at all: only its empty columns
// scroll then, and redrawing them every second would keep an idle app repainting its window.
const quietHeatmapPeriod = 5 * time.Second

// Dashboard is one stream's screen: the key-space map, the heatmap and the shard table (Overview), its records,
// load generators (Producers), consumers (Consumers) and fault injection (Faults).
type Dashboard struct {
	env    ui.Env
	win    fyne.Window
	stream string
	ref    engine.StreamRef

	header   *widget.Label
	totals   *widget.Label
	keyMap   *widgets.KeyMap
	heatmap  *widgets.Heatmap
	detail   *widget.Label
	heatInfo *widget.Label
	tabs     *container.AppTabs
	table    *widget.Table
	lens     *lens
	reshard  *reshardBar
	strip    *producerStrip
	prods    *producersPanel
	records  *recordsPanel
	faults   *faultsPanel
	cons     *consumersPanel

	snap      engine.MetricsSnapshot // reused by fetch (the poll goroutine only): a 400-shard snapshot is megabytes
	model     *dashModel
	heatDrawn time.Time // when the heatmap last got new data
	hovered   string    // shard under the pointer on the map
	tip       *ui.Tooltip
	heatTip   bool   // the tooltip shows the heatmap cell under the pointer (else the map's shard, if any)
	selected  string // shard picked on the map or in the table
	root      fyne.CanvasObject
	stopF     func()
}

func New(env ui.Env, win fyne.Window, stream string) *Dashboard {
	d := &Dashboard{env: env, win: win, stream: stream, ref: engine.StreamRef{StreamName: stream},
		header: widget.NewLabelWithStyle(stream, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		totals: widget.NewLabel(""), keyMap: widgets.NewKeyMap(), heatmap: widgets.NewHeatmap(),
		detail: widget.NewLabel(""), heatInfo: widget.NewLabel("")}
	d.detail.Truncation = fyne.TextTruncateEllipsis // one line always, so the buttons below never jump; the
	// tooltip beside the pointer shows the same text in full
	d.tip = ui.NewTooltip()
	// Long lines truncate rather than widen the window past a 1280-pixel projector.
	d.header.Truncation = fyne.TextTruncateEllipsis
	d.totals.Truncation = fyne.TextTruncateEllipsis
	d.heatInfo.Truncation = fyne.TextTruncateEllipsis
	d.keyMap.OnHover = func(s *widgets.KeySegment) {
		d.hovered = ""
		if s != nil {
			d.hovered = s.ID
		}
		d.showDetail()
	}
	d.keyMap.OnTapped = func(s widgets.KeySegment) { d.selectShard(s.ID) }
	d.heatmap.OnHover = d.heatHover
	d.heatHover(0, 0, false) // the heatmap's legend line reads before anyone points at it
	d.heatmap.OnTapped = func(row int) {
		if m := d.model; m != nil && row < len(m.Heatmap.Rows) {
			for _, r := range m.Rows {
				if r.Number == m.Heatmap.Rows[row].Label {
					d.selectShard(r.ID)
				}
			}
		}
	}
	d.table = d.newShardTable()
	d.lens = newLens(d)
	d.reshard = newReshardBar(d)
	d.strip = newProducerStrip(d)
	d.prods = newProducersPanel(d)
	d.records = newRecordsPanel(d)
	d.faults = newFaultsPanel(d)
	d.cons = newConsumersPanel(d)

	// The heatmap gets the whole middle: at 1,200×740 a shard table beside it left room for two rows of each, so
	// the table has its own tab.
	overview := container.NewBorder(
		container.NewVBox(d.keyMap, d.detail, d.reshard.content(), d.lens.content()),
		container.NewVBox(container.NewBorder(nil, nil, nil, widgets.NewLegend(), d.heatInfo), d.strip.content()),
		nil, nil, d.heatmap)
	overviewWithTip := container.NewStack(overview, d.tip.Layer())
	// Each tab scrolls on its own when the window is shorter than it: tabs share their height, so one tall tab
	// would otherwise squeeze every other (the Overview's heatmap first).
	tab := func(name string, content fyne.CanvasObject) *container.TabItem {
		return container.NewTabItem(name, container.NewVScroll(content))
	}
	tabs := container.NewAppTabs(
		tab("Overview", overviewWithTip),
		tab("Shards", d.table),
		tab("Records", d.records.content()),
		tab("Producers", d.prods.content()),
		tab("Consumers", d.cons.content()),
		tab("Faults", d.faults.content()),
	)
	d.tabs = tabs
	d.root = container.NewBorder(container.NewVBox(d.header, d.totals), nil, nil, nil, tabs)
	return d
}

// ShowTab opens the tab of that name (Overview, Shards, …), as a lesson's step asks.
func (d *Dashboard) ShowTab(name string) {
	for i, item := range d.tabs.Items {
		if item.Text == name {
			d.tabs.SelectIndex(i)
		}
	}
}

func (d *Dashboard) Content() fyne.CanvasObject { return d.root }

func (d *Dashboard) Start() {
	d.stopF = ui.Poll(ui.RefreshInterval, d.fetch, d.apply)
	d.records.start()
	d.cons.start()
}

func (d *Dashboard) Stop() {
	if d.stopF != nil {
		d.stopF()
	}
	d.records.stop()
	d.cons.stop()
}

// frame is one refresh's data: the model plus the generators' state.
type frame struct {
	model *dashModel
	gens  []loadgen.Listed
}

// fetch reads the engine off the UI goroutine and builds the whole frame there, so apply only hands it to widgets.
func (d *Dashboard) fetch() frame {
	ctx := context.Background()
	snap := &d.snap
	f := frame{gens: d.env.Generators.List(d.stream)}
	if err := d.env.Engine.Metrics(ctx, d.ref, heatmapSeconds+1, snap); err != nil {
		f.model = &dashModel{Err: err}
		return f
	}
	shards, _ := d.env.Engine.Shards(ctx, d.ref)
	f.model = buildDashModel(snap, shards)
	f.model.Summary, _ = d.env.Engine.DescribeStreamSummary(ctx, d.ref)
	f.model.Faults, _ = d.env.Engine.Faults(ctx, d.ref)
	return f
}

func (d *Dashboard) apply(f frame) {
	m := f.model
	if m.Err != nil {
		_, text := ui.Explain(m.Err)
		ui.SetText(d.totals, text)
		return
	}
	prev := d.model
	d.model = m
	if s := m.Summary; s != nil {
		limits := "limits off"
		if s.LimitsEnforced {
			limits = "limits on"
		}
		enc := ""
		if s.EncryptionType == "KMS" {
			enc = " · encrypted (" + s.KeyId + ")"
		}
		mode := "provisioned"
		if s.StreamMode == engine.ModeOnDemand {
			mode = "on-demand"
		}
		ui.SetText(d.header, fmt.Sprintf("%s · %d open shards · %s · %s · %s · %s%s", s.StreamName, s.OpenShardCount,
			mode, ui.RetentionText(s.RetentionPeriodHours), limits, s.StreamStatus, enc))
	}
	ui.SetText(d.totals, fmt.Sprintf("%s · %s · writes throttled %s/s · reads throttled %s/s · %s injected/s",
		ui.Rate(m.InRecords, "rec/s in"), ui.Rate(m.InBytes/1024, "KiB/s"), ui.Thousands(int64(m.WriteThrottled)),
		ui.Thousands(int64(m.ReadThrottled)), ui.Thousands(int64(m.Injected))))
	if prev == nil || !slices.Equal(prev.Segments, m.Segments) {
		d.keyMap.SetSegments(m.Segments)
	}
	if prev == nil || !sameHeatmap(prev.Heatmap, m.Heatmap) && (!m.quiet() || time.Since(d.heatDrawn) >= quietHeatmapPeriod) {
		d.heatmap.SetData(m.Heatmap)
		d.heatDrawn = time.Now()
	}
	if prev == nil || !sameRows(prev.Rows, m.Rows) {
		d.table.Refresh()
	}
	d.showDetail()
	d.lens.update()
	d.reshard.update()
	d.strip.update(f.gens)
	d.prods.update(f.gens)
	d.faults.update(m)
}

func (d *Dashboard) selectShard(id string) {
	d.selected = id
	d.keyMap.Select(id)
	if m := d.model; m != nil {
		for i, r := range m.Rows {
			if r.ID == id {
				d.table.ScrollTo(widget.TableCellID{Row: i, Col: 0}) // the picked shard's numbers in view
			}
		}
	}
	d.showDetail()
	d.reshard.update()
}

func (d *Dashboard) row(id string) *shardRow {
	if d.model == nil {
		return nil
	}
	for i := range d.model.Rows {
		if d.model.Rows[i].ID == id {
			return &d.model.Rows[i]
		}
	}
	return nil
}

// showDetail describes the shard under the pointer, else the selected one, else says how to pick one.
func (d *Dashboard) showDetail() {
	id := d.hovered
	if id == "" {
		id = d.selected
	}
	r := d.row(id)
	if r == nil {
		ui.SetText(d.detail, "Hover over a shard on the map for its range, rates and top partition keys; tap it to select it for splitting or merging.")
		if !d.heatTip {
			d.tip.Hide()
		}
		return
	}
	state := "open"
	if !r.Open {
		state = "closed"
	}
	text := fmt.Sprintf("Shard %s: %s · %s of the write limit · last minute: %s writes and %s reads throttled",
		r.Number, ui.Rate(r.Records, "rec/s"), ui.Percent(r.Util), ui.Thousands(int64(r.WriteThrottles)),
		ui.Thousands(int64(r.ReadThrottles)))
	if keys := topKeysText(r.TopKeys, 3); keys != "" {
		text += " · top keys: " + keys
	}
	text += fmt.Sprintf(" · %s · hash keys %s · %s · %s", ui.Rate(r.KiB, "KiB/s"), r.Range, r.ID, state)
	ui.SetText(d.detail, text)
	switch {
	case d.hovered != "":
		d.tip.Show(strings.ReplaceAll(text, " · ", "\n"), d.keyMap.Pointer())
	case !d.heatTip:
		d.tip.Hide()
	}
}

func (d *Dashboard) heatHover(row, col int, ok bool) {
	m := d.model
	if !ok || m == nil || row >= len(m.Heatmap.Rows) {
		text := "Rows: shards in key order, a split's children under it. Columns: the last 5 minutes."
		if first, n := d.heatmap.VisibleRows(); m != nil && n < len(m.Heatmap.Rows) {
			text = fmt.Sprintf("Rows %d–%d of %d shards in key order (scroll for more). Columns: the last 5 minutes.",
				first+1, first+n, len(m.Heatmap.Rows))
		}
		ui.SetText(d.heatInfo, text)
		if d.heatTip {
			d.heatTip = false
			d.tip.Hide()
		}
		return
	}
	hr := m.Heatmap.Rows[row]
	at := m.Heatmap.End.Add(-time.Duration(m.Heatmap.Columns-1-col) * time.Second)
	u := hr.Util[col]
	if u != u { // NaN: the shard did not exist then
		text := fmt.Sprintf("Shard %s at %s: no data (not open yet, closed, or before Shardlab started)", hr.Label, at.Local().Format("15:04:05"))
		ui.SetText(d.heatInfo, text)
		d.heatTip = true
		d.tip.Show(text, d.heatmap.Pointer())
		return
	}
	text := fmt.Sprintf("Shard %s at %s: %s of the write limit", hr.Label, at.Local().Format("15:04:05"), ui.Percent(float64(u)))
	if hr.Throttled[col] {
		text += " · writes throttled"
	}
	if hr.ReadThrottled[col] {
		text += " · reads throttled"
	}
	ui.SetText(d.heatInfo, text)
	d.heatTip = true
	d.tip.Show(text, d.heatmap.Pointer())
}

// toggleProducers starts this stream's generators if none runs, else stops them all (Ctrl+G).
func (d *Dashboard) ToggleProducers() { d.strip.toggleAll() }

func (d *Dashboard) FocusLens() { d.win.Canvas().Focus(d.lens.entry) }
