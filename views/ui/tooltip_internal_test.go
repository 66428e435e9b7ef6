package ui

import (
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// A tooltip goes once the pointer has rested (it may have left the window unseen) and comes back when it moves.
func TestTooltipGoesWhenThePointerRests(t *testing.T) {
	test.NewTempApp(t)
	var mu sync.Mutex
	saved, savedRest := OnUI, tooltipRest
	OnUI = func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	tooltipRest = 50 * time.Millisecond
	t.Cleanup(func() { OnUI, tooltipRest = saved, savedRest })
	tip := NewTooltip()
	t.Cleanup(func() { // before OnUI is restored: no timer of this test fires into another's
		mu.Lock()
		if tip.restEnd != nil {
			tip.restEnd.Stop()
		}
		mu.Unlock()
		time.Sleep(2 * tooltipRest)
	})
	w := test.NewTempWindow(t, tip.Layer())
	w.Resize(fyne.NewSize(600, 400))
	text := func() string { mu.Lock(); defer mu.Unlock(); return tip.Text() }
	mu.Lock()
	tip.Show("shard 2", fyne.NewPos(100, 100))
	mu.Unlock()
	if text() != "shard 2" {
		t.Fatal("not shown")
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	tip.Show("shard 2", fyne.NewPos(100, 100)) // a refresh with the pointer where it was
	mu.Unlock()
	if text() != "" {
		t.Error("the tooltip stays after the pointer rested")
	}
	mu.Lock()
	tip.Show("shard 3", fyne.NewPos(140, 100))
	mu.Unlock()
	if text() != "shard 3" {
		t.Error("the tooltip does not come back when the pointer moves")
	}
}
