package ui

import (
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// OnUI runs f on the UI goroutine. Fyne's test driver runs f at once on the calling goroutine, so the views' tests
// replace it with one that holds the lock their own UI actions hold, as the real driver's single UI goroutine would.
var OnUI = fyne.Do

// Poll runs fetch every interval on its own goroutine and hands each result to apply on the UI goroutine. While an
// earlier result still waits for the UI, new ones are dropped rather than queued, so a busy UI never falls behind
// and fetch (which may wait on the engine or the disk) never runs on the UI goroutine. It returns a stop function.
func Poll[T any](interval time.Duration, fetch func() T, apply func(T)) (stop func()) {
	done := make(chan struct{})
	var waiting atomic.Bool
	// Read OnUI once, here: a test that swaps it back when it ends must not race a goroutine still finishing a tick.
	onUI := OnUI
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for first := true; ; first = false {
			if !first {
				select {
				case <-done:
					return
				case <-ticker.C:
				}
			}
			if waiting.Load() {
				continue
			}
			v := fetch()
			waiting.Store(true)
			onUI(func() {
				defer waiting.Store(false)
				select {
				case <-done:
				default:
					apply(v)
				}
			})
		}
	}()
	var stopped atomic.Bool
	return func() {
		if stopped.CompareAndSwap(false, true) {
			close(done)
		}
	}
}

// Background runs work off the UI goroutine and hands its result to then on it: how every engine call made from a
// button runs, so a click never freezes the window on a disk write.
func Background[T any](work func() (T, error), then func(T, error)) {
	onUI := OnUI
	go func() {
		v, err := work()
		onUI(func() { then(v, err) })
	}()
}

// SetText changes a label only when its text differs: a refresh repaints the window, and an idle dashboard should
// repaint nothing.
func SetText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

func SetButton(b *widget.Button, text string, icon fyne.Resource) {
	if b.Text != text {
		b.SetText(text)
		b.SetIcon(icon)
	}
}
