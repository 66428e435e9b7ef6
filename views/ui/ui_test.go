package ui_test

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestEngineErrorsReadPlainly(t *testing.T) {
	env := uitest.NewEnv(t)
	n := 1
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "dup", ShardCount: &n})
	err := env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "dup", ShardCount: &n})
	title, text := ui.Explain(err)
	if title != "Already exists" || strings.Contains(text, "Exception") || !strings.Contains(text, "dup") {
		t.Errorf("explain = %q, %q", title, text)
	}
	// Errors that are not the engine's say they failed, not "Something went wrong".
	if title, text := ui.Explain(fmt.Errorf("open x.ndjson: no such file")); title != "Failed" || text != "Open x.ndjson: no such file" {
		t.Errorf("explain = %q, %q", title, text)
	}
	// A dialog's title says what was tried and what happened.
	test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	win.Resize(fyne.NewSize(800, 600))
	ui.ShowError("Create dup", err, win)
	if _, ok := uitest.Find(win.Canvas().Overlays().Top(), func(l *widget.Label) bool { return l.Text == "Create dup: already exists" }); !ok {
		t.Error(`no dialog titled "Create dup: already exists"`)
	}
}

func TestPollDropsFramesWhileTheUIIsBusy(t *testing.T) {
	// A UI goroutine of our own, as the real driver has: ui.OnUI only queues, so a busy UI cannot block the poller,
	// and only poll's own rule keeps it from piling frames up.
	queue := make(chan func(), 1000)
	saved := ui.OnUI
	ui.OnUI = func(f func()) { queue <- f }
	defer func() { ui.OnUI = saved }()
	// The queue is never closed: the poller may finish a tick after stop, and a send on a closed channel would panic.
	go func() {
		for f := range queue {
			f()
		}
	}()

	var fetches atomic.Int32
	release := make(chan struct{})
	applied := make(chan int, 100)
	stop := ui.Poll(time.Millisecond, func() int { return int(fetches.Add(1)) }, func(v int) {
		if v == 1 {
			<-release // the UI is busy with the first frame
		}
		applied <- v
	})
	defer stop()
	time.Sleep(100 * time.Millisecond) // a hundred ticks pass while the first frame is held
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches while the UI was busy with the first, want 1 (frames are dropped, not queued)", n)
	}
	if q := len(queue); q != 0 {
		t.Errorf("%d frames queued behind the busy one", q)
	}
	close(release)
	if v := <-applied; v != 1 {
		t.Fatalf("first applied frame %d", v)
	}
	if v := <-applied; v != 2 {
		t.Errorf("next frame %d, want 2: nothing was queued behind the busy one", v)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := ui.Thousands(in); got != want {
			t.Errorf("ui.Thousands(%d) = %q", in, got)
		}
	}
	if got := fmt.Sprint(ui.ShortID("shardId-000000000012"), " ", ui.ShortID("shardId-000000000000")); got != "12 0" {
		t.Errorf("shortID: %s", got)
	}
}

func TestFlowWrapsInsteadOfWidening(t *testing.T) {
	box := func() fyne.CanvasObject {
		r := canvas.NewRectangle(color.Black)
		r.SetMinSize(fyne.NewSize(100, 30))
		return r
	}
	f := ui.NewFlow(box(), box(), box(), box())
	if min := f.MinSize(); min.Width != 100 {
		t.Fatalf("minimum width %v, want the widest object's 100", min.Width)
	}
	f.Resize(fyne.NewSize(450, 100)) // four fit on one row: 4×100 + 3 paddings
	if min := f.MinSize(); min.Height != 30 {
		t.Errorf("one row: minimum height %v, want 30", min.Height)
	}
	f.Resize(fyne.NewSize(250, 100)) // two a row
	if min := f.MinSize(); min.Width != 100 || min.Height <= 60 || min.Height > 70 {
		t.Errorf("two rows: minimum %v, want 100 wide and two rows tall", min)
	}
	if p := f.Objects[2].Position(); p.X != 0 || p.Y <= 30 {
		t.Errorf("the third object is at %v, want the start of the second row", p)
	}
}

// A split dragged by the user comes back where it was left, on the next visit or start.
func TestSplitsAreRemembered(t *testing.T) {
	a := test.NewTempApp(t)
	s := ui.Remember("test.split", container.NewHSplit(widget.NewLabel("a"), widget.NewLabel("b")), 0.3)
	if s.Offset != 0.3 {
		t.Fatalf("first offset %v, want the default 0.3", s.Offset)
	}
	s.SetOffset(0.72) // the user drags it
	ui.SaveSplits(a)
	again := ui.Remember("test.split", container.NewHSplit(widget.NewLabel("a"), widget.NewLabel("b")), 0.3)
	if again.Offset != 0.72 {
		t.Errorf("remembered offset %v, want 0.72", again.Offset)
	}
}
