package dashboard

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// The workshop view of the Consumers tab: two workers of one application split the stream's shards between them;
// killing one leaves its leases to expire, and the other takes them — each shard's card shows who holds it, live.

const (
	workshopApp = "workshop"
	// workshopLease is short so a room sees the failover within seconds, long enough to see the leases expire.
	workshopLease = 6 * time.Second
)

// workshopCardHeight is one lease card's height: two lines of 12-point text.
const workshopCardHeight = 40

var workshopWorkers = [2]string{"worker-1", "worker-2"}

type workshopPanel struct {
	d       *Dashboard
	running [2]*runningWorker
	// gen counts each slot's launches and stops: a worker whose creation finishes after its slot was stopped (or
	// launched again) is never started, so no worker runs unseen and no two run under one name.
	gen    [2]int
	start  *widget.Button
	kill   *widget.Button
	stop   *widget.Button
	cards  *fyne.Container
	scroll *container.Scroll
	note   *widget.Label
	shown  string // the leases last drawn, so unchanged frames redraw nothing
}

type runningWorker struct {
	w      *consumer.Worker
	cancel context.CancelFunc
}

func newWorkshopPanel(d *Dashboard) *workshopPanel {
	p := &workshopPanel{d: d, cards: ui.NewFlow(),
		note: widget.NewLabel("Two workers of the app \"workshop\" share the shards, a colour each: kill one, and its " +
			"leases expire (6 s) and move to the other.")}
	p.note.Wrapping = fyne.TextWrapWord
	p.start = widget.NewButton("Start two workers", p.startWorkers)
	p.kill = widget.NewButton("Kill worker-1", p.toggleWorker1)
	p.stop = widget.NewButton("Stop workers", p.stopWorkers)
	p.kill.Disable()
	p.stop.Disable()
	return p
}

func (p *workshopPanel) content() fyne.CanvasObject {
	// The cards wrap into rows and scroll in the room the pane has (at least one row), so 64 shards neither widen the
	// window nor push the table and the lag chart off it.
	p.scroll = container.NewVScroll(p.cards)
	p.scroll.SetMinSize(fyne.NewSize(0, max(workshopCardHeight, 2.9*widgets.SmallText())))
	head := container.NewVBox(ui.NewFlow(ui.Heading("Workshop: leases moving between workers"), p.start, p.kill, p.stop),
		p.note)
	return container.NewBorder(head, nil, nil, nil, p.scroll)
}

func (p *workshopPanel) startWorkers() {
	p.start.Disable()
	for i := range p.running {
		p.launch(i)
	}
	p.kill.Enable()
	p.stop.Enable()
}

// launch starts one worker; NewWorker reads the engine, so it runs off the UI goroutine.
func (p *workshopPanel) launch(i int) {
	p.gen[i]++
	gen := p.gen[i]
	ui.Background(func() (*consumer.Worker, error) {
		return consumer.NewWorker(p.d.env.Engine, consumer.Config{App: workshopApp, Worker: workshopWorkers[i],
			Stream: p.d.ref, LeaseDuration: workshopLease, InitialPosition: consumer.Latest,
			PollInterval: consumer.SharedPollInterval,
			Process: func(ctx context.Context, b *consumer.Batch) error {
				time.Sleep(2 * time.Millisecond) // a little work a batch, as a real consumer would do
				return b.Checkpoint(ctx)
			}})
	}, func(w *consumer.Worker, err error) {
		if gen != p.gen[i] {
			return // stopped or relaunched while it was being created: never started
		}
		if err != nil {
			ui.ShowError("Start the workshop's workers", err, p.d.win)
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		p.running[i] = &runningWorker{w: w, cancel: cancel}
		go w.Run(ctx)
	})
}

// toggleWorker1 kills worker-1 as a crash would (its leases stay until they expire), or starts it again.
func (p *workshopPanel) toggleWorker1() {
	if p.kill.Text == "Kill worker-1" {
		p.gen[0]++ // a launch still under way is abandoned
		if r := p.running[0]; r != nil {
			r.w.Crash()
			r.cancel()
			p.running[0] = nil
		}
		ui.SetButton(p.kill, "Restart worker-1", nil)
		return
	}
	p.launch(0)
	ui.SetButton(p.kill, "Kill worker-1", nil)
}

// stopWorkers stops both workers gracefully: their leases are released at once.
func (p *workshopPanel) stopWorkers() {
	p.shutdown()
	p.start.Enable()
	p.kill.Disable()
	p.stop.Disable()
	ui.SetButton(p.kill, "Kill worker-1", nil)
}

// show draws one card a shard: its colour is the worker holding it.
func (p *workshopPanel) show(leases []consumer.Lease) {
	now := time.Now()
	key := ""
	for _, l := range leases {
		key += fmt.Sprintf("%s=%s/%v/%v/%d;", l.ShardID, l.Owner, l.Expired(now, workshopLease),
			l.Checkpoint == consumer.ShardEnd, int(now.Sub(l.Renewed).Seconds()))
	}
	if key == p.shown {
		return
	}
	p.shown = key
	p.cards.RemoveAll()
	for _, l := range leases {
		owner, col := "free", color.Color(color.NRGBA{0x90, 0x90, 0x90, 0xff})
		switch {
		case l.Checkpoint == consumer.ShardEnd:
			owner, col = "finished", color.NRGBA{0x50, 0x50, 0x50, 0xff}
		case !l.Expired(now, workshopLease):
			owner = l.Owner
			// A dead worker's lease looks held until it expires: say how long it has gone unrenewed.
			if silent := now.Sub(l.Renewed); silent > workshopLease/2 {
				owner += fmt.Sprintf(" · silent %d s", int(silent.Seconds()))
			}
			for i, w := range workshopWorkers {
				if w == l.Owner {
					col = widgets.SeriesColor(i)
				}
			}
		case l.Owner != "":
			owner = l.Owner + " (expired)"
		}
		name := canvas.NewText("shard "+ui.ShortID(l.ShardID), color.White)
		name.TextStyle.Bold = true
		name.TextSize = widgets.SmallText() * 12 / 11
		who := canvas.NewText(owner, color.White)
		who.TextSize = widgets.SmallText() * 12 / 11
		text := container.NewVBox(name, who)
		box := canvas.NewRectangle(col)
		box.SetMinSize(fyne.NewSize(120, workshopCardHeight).Max(text.MinSize().AddWidthHeight(16, 4)))
		box.CornerRadius = 4
		p.cards.Add(container.NewStack(box, container.NewCenter(text)))
	}
	p.cards.Refresh()
}

// shutdown stops the workers when the screen is left.
func (p *workshopPanel) shutdown() {
	for i, r := range p.running {
		p.gen[i]++
		if r != nil {
			r.cancel()
			p.running[i] = nil
		}
	}
}
