// Package delivery is the Delivery screen: the delivery streams (Firehose) with their counts, and the pipeline
// builder that edits one as a graph of sources, processors and destinations.
package delivery

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/views/ui"
)

// Screen lists the delivery streams (Firehose) with their state and live metrics: incoming, delivered,
// failed, retries and data freshness. Pipelines come in as JSON specs — imported from a file (the samples in
// <data>/samples/pipelines, say) or created through the Firehose API — and can be started, stopped, exported and
// deleted here.
type Screen struct {
	env      ui.Env
	win      fyne.Window
	infos    []delivery.Info
	table    *widget.Table
	detail   *widget.Label
	start    *widget.Button
	stop     *widget.Button
	export   *widget.Button
	remove   *widget.Button
	edit     *widget.Button
	selected string
	stopF    func()
	builder  *builderScreen
	tabs     *container.AppTabs
	building bool // the builder tab is shown and started
	root     fyne.CanvasObject
}

var deliveryColumns = []ui.Column{{Title: "Delivery stream", Width: 170}, {Title: "Source", Width: 120}, {Title: "State", Width: 80}, {Title: "In", Width: 90},
	{Title: "Delivered", Width: 90}, {Title: "Failed", Width: 70}, {Title: "Retries", Width: 70}, {Title: "Objects", Width: 70}, {Title: "Freshness", Width: 90}, {Title: "Destination", Width: 200}}

func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win, detail: widget.NewLabel("Select a delivery stream.")}
	s.detail.Wrapping = fyne.TextWrapWord
	s.table = ui.NewColumnTable(deliveryColumns, func() int { return len(s.infos) },
		func(row, col int) string { return deliveryCell(&s.infos[row], col) })
	s.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < len(s.infos) {
			s.selected = s.infos[id.Row].Spec.Name
			s.showDetail()
		}
	}
	s.start = widget.NewButton("Start", func() { s.act("Start", s.env.Deliveries.Start) })
	s.stop = widget.NewButton("Stop", func() { s.act("Stop", s.env.Deliveries.Stop) })
	s.export = widget.NewButton("Export…", s.exportSpec)
	s.remove = widget.NewButton("Delete…", s.askDelete)
	importBtn := widget.NewButton("Import pipeline…", s.importSpec)
	importBtn.Importance = widget.HighImportance
	s.edit = widget.NewButton("Open in builder", func() {
		s.builder.openDelivery(s.selected)
		s.tabs.SelectIndex(1)
	})
	help := widget.NewLabel("Delivery streams read a stream (with a checkpoint per shard), transform, buffer and write " +
		"objects, rows or requests; what fails goes to the error output. Import a JSON pipeline (samples in " +
		"<data>/samples/pipelines) or create one through the Firehose API on the app's endpoint.")
	help.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(help,
		container.NewHBox(importBtn, s.edit, s.start, s.stop, s.export, s.remove))
	split := ui.Remember("delivery", container.NewVSplit(s.table, container.NewVScroll(s.detail)), 0.6)
	s.builder = newBuilderScreen(env, win)
	s.builder.onDelivery = s.refreshList
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Delivery streams", container.NewBorder(top, nil, nil, nil, split)),
		container.NewTabItem("Pipeline builder", s.builder.Content()))
	s.tabs.OnSelected = func(*container.TabItem) { s.syncBuilder(true) }
	s.root = s.tabs
	s.updateButtons()
	return s
}

func deliveryCell(info *delivery.Info, col int) string {
	m := info.Metrics
	switch col {
	case 0:
		return info.Spec.Name
	case 1:
		if info.Spec.Source.DirectPut {
			return "direct PUT"
		}
		return info.Spec.Source.Stream
	case 2:
		return info.State
	case 3:
		return ui.Thousands(int64(m.Incoming))
	case 4:
		return ui.Thousands(int64(m.Delivered))
	case 5:
		return ui.Thousands(int64(m.ProcessingFailed + m.DeliveryFailed))
	case 6:
		return ui.Thousands(int64(m.Retries))
	case 7:
		return ui.Thousands(int64(m.Objects))
	case 8:
		if m.Freshness == 0 {
			return "—"
		}
		return m.Freshness.Round(time.Second).String()
	case 9:
		return destinationSummary(info.Spec.Destinations)
	}
	return ""
}

func destinationSummary(ds []delivery.Destination) string {
	var parts []string
	for _, d := range ds {
		switch d.Kind {
		case delivery.Folder:
			parts = append(parts, "folder "+d.Path)
		case delivery.S3:
			parts = append(parts, "s3://"+d.Bucket)
		case delivery.PG:
			parts = append(parts, "postgres "+d.Table)
		case delivery.Stream:
			parts = append(parts, "stream "+d.Stream)
		case delivery.HTTP:
			parts = append(parts, d.URL)
		}
	}
	return strings.Join(parts, ", ")
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

func (s *Screen) Start() {
	s.stopF = ui.Poll(time.Second, s.env.Deliveries.List, s.showList)
	s.syncBuilder(true)
}

func (s *Screen) Stop() {
	if s.stopF != nil {
		s.stopF()
	}
	s.syncBuilder(false)
}

// syncBuilder starts the builder's live updates while its tab shows on a shown screen, and stops them otherwise.
func (s *Screen) syncBuilder(screenShown bool) {
	want := screenShown && s.tabs.SelectedIndex() == 1
	if want == s.building {
		return
	}
	s.building = want
	if want {
		s.builder.Start()
	} else {
		s.builder.Stop()
	}
}

func (s *Screen) showList(infos []delivery.Info) {
	s.infos = infos
	s.table.Refresh()
	s.showDetail()
	s.updateButtons()
}

// refreshList lists the delivery streams again now, after the builder saved one.
func (s *Screen) refreshList() {
	ui.Background(func() ([]delivery.Info, error) { return s.env.Deliveries.List(), nil },
		func(infos []delivery.Info, _ error) { s.showList(infos) })
}

func (s *Screen) current() *delivery.Info {
	for i := range s.infos {
		if s.infos[i].Spec.Name == s.selected {
			return &s.infos[i]
		}
	}
	return nil
}

func (s *Screen) showDetail() {
	info := s.current()
	if info == nil {
		ui.SetText(s.detail, "Select a delivery stream.")
		return
	}
	ui.SetText(s.detail, detailText(info))
}

// detailText is what the detail pane says of a delivery stream: its counts, what went wrong, and its pipeline.
func detailText(info *delivery.Info) string {
	m := info.Metrics
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s, created %s\n", info.Spec.Name, info.State, info.Created.Local().Format("2006-01-02 15:04"))
	if info.Error != "" {
		fmt.Fprintf(&b, "Failed: %s\n", info.Error)
	}
	fmt.Fprintf(&b, "Read %s records; delivered %s in %s objects (%s KiB); dropped %s; processing failed %s; delivery failed %s; %s retries.\n",
		ui.Thousands(int64(m.Incoming)), ui.Thousands(int64(m.Delivered)), ui.Thousands(int64(m.Objects)),
		ui.Thousands(int64(m.DeliveredBytes/1024)), ui.Thousands(int64(m.Dropped)), ui.Thousands(int64(m.ProcessingFailed)),
		ui.Thousands(int64(m.DeliveryFailed)), ui.Thousands(int64(m.Retries)))
	if m.ReadsThrottled > 0 {
		fmt.Fprintf(&b, "%s\n", ui.ReadsThrottledNote(m.ReadsThrottled))
	}
	if m.LastError != "" {
		fmt.Fprintf(&b, "Last error: %s\n", m.LastError)
	}
	var steps []string
	for _, p := range info.Spec.Processors {
		step := p.Kind
		switch {
		case p.Expr != "":
			step += " " + p.Expr
		case p.Codec != "":
			step += " " + p.Codec
		case p.Format != "":
			step += " " + p.Format
		}
		steps = append(steps, step)
	}
	if len(steps) > 0 {
		fmt.Fprintf(&b, "Processors: %s\n", strings.Join(steps, ", then "))
	}
	fmt.Fprintf(&b, "Destinations: %s", destinationSummary(info.Spec.Destinations))
	return b.String()
}

func (s *Screen) updateButtons() {
	info := s.current()
	for _, b := range []*widget.Button{s.start, s.stop, s.export, s.remove, s.edit} {
		if info == nil {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if info != nil && info.State == delivery.StateActive {
		s.start.Disable()
	} else {
		s.stop.Disable()
	}
}

// act runs Start or Stop off the UI goroutine: a stop flushes the buffer, which writes to disk or the network.
func (s *Screen) act(what string, fn func(string) error) {
	name := s.selected
	ui.Background(func() (struct{}, error) { return struct{}{}, fn(name) }, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError(what+" "+name, err, s.win)
		}
	})
}

func (s *Screen) askDelete() {
	name := s.selected
	dialog.ShowConfirm("Delete delivery stream", fmt.Sprintf("Delete %s? It flushes what it holds, stops, and forgets "+
		"its checkpoints; what it delivered stays where it is.", name), func(yes bool) {
		if yes {
			s.act("Delete", s.env.Deliveries.Delete)
		}
	}, s.win)
}

// importSpec reads a pipeline from a JSON file and creates it, stopped.
func (s *Screen) importSpec() {
	ui.OpenJSON(s.win, "Import pipeline", s.env.DataDir+"/samples/pipelines", s.env.Deliveries.Import,
		func(spec delivery.Spec) { s.selected = spec.Name })
}

// exportSpec writes the selected pipeline's JSON to a file.
func (s *Screen) exportSpec() {
	b, err := s.env.Deliveries.Export(s.selected)
	if err != nil {
		ui.ShowError("Export pipeline", err, s.win)
		return
	}
	ui.SaveFile(s.win, "Export pipeline", s.selected+".json", b)
}
