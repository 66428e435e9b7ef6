package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// consumersInterval is the Consumers tab's refresh: lag is counted by walking the shards' keys, so once a second.
const consumersInterval = time.Second

// consumersPanel is the Consumers tab: every consumer of the stream — lease-based applications and enhanced
// fan-out consumers — per shard, with its position, lag and a lag chart; checkpoints can be reset from here.
type consumersPanel struct {
	d       *Dashboard
	fetcher *consumersFetcher
	model   consumersModel
	table   *widget.Table
	chart   *widgets.LagChart
	status  *widget.Label
	// tablePane holds the status line over the table; it is laid out again when the line shows or hides.
	tablePane *fyne.Container
	reset     *widget.Button
	workshop  *workshopPanel
	selected  int
	stopF     func()
}

var consumerColumns = []ui.Column{{Title: "Consumer", Width: 130}, {Title: "Kind", Width: 130}, {Title: "Shard", Width: 55}, {Title: "Owner / state", Width: 150},
	{Title: "Checkpoint", Width: 115}, {Title: "Records/s", Width: 95}, {Title: "Behind (records)", Width: 125}, {Title: "Behind (time)", Width: 110}}

func newConsumersPanel(d *Dashboard) *consumersPanel {
	p := &consumersPanel{d: d, fetcher: &consumersFetcher{eng: d.env.Engine, ref: d.ref}, chart: widgets.NewLagChart(),
		status: widget.NewLabel(""), selected: -1}
	p.status.Wrapping = fyne.TextWrapWord
	p.workshop = newWorkshopPanel(d)
	p.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(p.model.Rows), len(consumerColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row >= len(p.model.Rows) {
				l.SetText("")
				return
			}
			r := &p.model.Rows[id.Row]
			// Red when the consumer has fallen so far behind that records expire before it reads them.
			l.Importance = widget.MediumImportance
			if r.Warn {
				l.Importance = widget.DangerImportance
			}
			l.SetText(ui.FitColumn(consumerCell(r, id.Col), consumerColumns[id.Col].Width))
		})
	p.table.ShowHeaderColumn = false
	p.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(consumerColumns[id.Col].Title)
		}
	}
	for i, c := range consumerColumns {
		p.table.SetColumnWidth(i, c.Width)
	}
	p.table.OnSelected = func(id widget.TableCellID) {
		p.selected = id.Row
		p.updateButtons()
	}
	p.reset = widget.NewButton("Reset checkpoint…", p.askReset)
	p.reset.Disable()
	return p
}

func consumerCell(r *consumerRow, col int) string {
	switch col {
	case 0:
		return r.Consumer
	case 1:
		return r.Kind
	case 2:
		if r.ShardID == "" {
			return "—"
		}
		return ui.ShortID(r.ShardID)
	case 3:
		return r.Owner
	case 4:
		if r.Checkpoint == "" {
			return "—"
		}
		return shortSeq(r.Checkpoint)
	case 5:
		if r.ShardID == "" {
			return "—"
		}
		return ui.Thousands(int64(r.Rate + 0.5))
	case 6:
		if r.ShardID == "" || r.Behind < 0 {
			return "—"
		}
		if r.Capped {
			return ui.Thousands(int64(r.Behind)) + "+"
		}
		return ui.Thousands(int64(r.Behind))
	case 7:
		if r.Behind == 0 || r.Behind < 0 && r.Age == 0 {
			return "caught up"
		}
		return r.Age.Round(time.Second).String()
	}
	return ""
}

func (p *consumersPanel) content() fyne.CanvasObject {
	help := widget.NewLabel("Per shard: polling applications (lease, checkpoint), fan-out sessions while subscribed, and " +
		"\"(every reader)\", all GetRecords calls. Red: behind by over 80 % of retention.")
	help.Wrapping = fyne.TextWrapWord
	register := widget.NewButton("Register fan-out consumer…", p.askRegister)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(register, p.reset), help)
	// The status line sits with the table it is about, so the table keeps its rows when it shows; the lag chart and
	// the workshop share the lower pane side by side, so neither is a thin strip at 1280×720.
	p.tablePane = container.NewBorder(p.status, nil, nil, nil, p.table)
	lower := ui.Remember("consumers.lag", container.NewHSplit(p.chart, p.workshop.content()), 0.5)
	return container.NewBorder(top, nil, nil, nil, ui.Remember("consumers.table", container.NewVSplit(p.tablePane, lower), 0.6))
}

func (p *consumersPanel) start() {
	p.stopF = ui.Poll(consumersInterval, p.fetcher.fetch, p.apply)
}

func (p *consumersPanel) stop() {
	if p.stopF != nil {
		p.stopF()
	}
	p.workshop.shutdown()
}

func (p *consumersPanel) apply(m consumersModel) {
	p.model = m
	switch {
	case m.Err != nil:
		ui.SetText(p.status, "Cannot read the consumers: "+m.Err.Error())
		p.showStatus(true)
	case len(m.Rows) == 0:
		ui.SetText(p.status, "No consumers yet: start the workshop's two workers (lower right), register a fan-out consumer, or run an SDK or KCL application against the API.")
		p.showStatus(true)
	case !strings.HasPrefix(p.status.Text, "Registered "):
		p.showStatus(false) // no empty line above the table
	}
	if p.selected >= len(m.Rows) {
		p.selected = -1
	}
	p.updateButtons()
	p.table.Refresh()
	lag := make(map[string]float64, len(m.Lag))
	for name, d := range m.Lag {
		lag[name] = d.Seconds()
	}
	p.chart.Push(lag)
	p.workshop.show(m.Workshop)
}

// showStatus shows or hides the line over the table and lays the pane out again, so a hidden line leaves no gap.
func (p *consumersPanel) showStatus(visible bool) {
	if p.status.Visible() == visible {
		return
	}
	if visible {
		p.status.Show()
	} else {
		p.status.Hide()
	}
	if p.tablePane != nil {
		p.tablePane.Refresh()
	}
}

func (p *consumersPanel) updateButtons() {
	if p.selected >= 0 && p.selected < len(p.model.Rows) && p.model.Rows[p.selected].Polling {
		p.reset.Enable()
	} else {
		p.reset.Disable()
	}
}

// Reset positions offered, in the words of the GetShardIterator types they mirror.
const (
	resetTrimHorizon = "TRIM_HORIZON (the oldest record)"
	resetLatest      = "LATEST (only new records)"
	resetTimestamp   = "AT_TIMESTAMP"
	resetSequence    = "after a sequence number"
)

// askReset asks where a polling application's shard should restart, then asks again before doing it.
func (p *consumersPanel) askReset() {
	if p.selected < 0 || p.selected >= len(p.model.Rows) {
		return
	}
	row := p.model.Rows[p.selected]
	value := widget.NewEntry()
	value.SetPlaceHolder("2026-11-26T09:00:00Z, or a sequence number")
	kind := widget.NewSelect([]string{resetTrimHorizon, resetLatest, resetTimestamp, resetSequence}, nil)
	kind.SetSelected(resetTrimHorizon)
	items := []*widget.FormItem{widget.NewFormItem("Position", kind), widget.NewFormItem("Timestamp or number", value)}
	dialog.ShowForm(fmt.Sprintf("Reset %s on %s", row.Consumer, ui.ShortID(row.ShardID)), "Next…", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		position, at, err := resetPosition(kind.Selected, strings.TrimSpace(value.Text))
		if err != nil {
			ui.ShowError("Reset the checkpoint", err, p.d.win)
			return
		}
		msg := fmt.Sprintf("Move %s's checkpoint of %s to %s? The worker holding the shard stops, and the next one "+
			"to take it starts from there: records may be processed again, or skipped.", row.Consumer, row.ShardID, kind.Selected)
		dialog.ShowConfirm("Reset the checkpoint", msg, func(yes bool) {
			if yes {
				p.resetCheckpoint(row, position, at)
			}
		}, p.d.win)
	}, p.d.win)
}

func resetPosition(kind, value string) (string, time.Time, error) {
	switch kind {
	case resetTrimHorizon:
		return consumer.TrimHorizon, time.Time{}, nil
	case resetLatest:
		return consumer.Latest, time.Time{}, nil
	case resetTimestamp:
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("the timestamp %q is not RFC 3339, e.g. 2026-11-26T09:00:00Z", value)
		}
		return consumer.AtTimestamp, t, nil
	default:
		if value == "" {
			return "", time.Time{}, errors.New("a sequence number is needed")
		}
		return value, time.Time{}, nil
	}
}

func (p *consumersPanel) resetCheckpoint(row consumerRow, position string, at time.Time) {
	eng, ref := p.d.env.Engine, p.d.ref
	ui.Background(func() (struct{}, error) {
		sum, err := eng.DescribeStreamSummary(context.Background(), ref)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, consumer.ResetCheckpoint(context.Background(), eng, row.Consumer, sum.StreamARN, row.ShardID, position, at)
	}, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError("Reset the checkpoint", err, p.d.win)
		}
	})
}

// askRegister registers an enhanced fan-out consumer, as RegisterStreamConsumer does.
func (p *consumersPanel) askRegister() {
	name := widget.NewEntry()
	name.SetPlaceHolder("analytics-app")
	dialog.ShowForm("Register an enhanced fan-out consumer", "Register", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
			if !ok {
				return
			}
			eng, ref, n := p.d.env.Engine, p.d.ref, strings.TrimSpace(name.Text)
			ui.Background(func() (*engine.Consumer, error) {
				sum, err := eng.DescribeStreamSummary(context.Background(), ref)
				if err != nil {
					return nil, err
				}
				return eng.RegisterStreamConsumer(context.Background(), sum.StreamARN, n)
			}, func(c *engine.Consumer, err error) {
				if err != nil {
					ui.ShowError("Register the consumer", err, p.d.win)
					return
				}
				ui.SetText(p.status, "Registered "+c.ConsumerName+": subscribe with its ARN "+c.ConsumerARN)
				p.showStatus(true)
			})
		}, p.d.win)
}
