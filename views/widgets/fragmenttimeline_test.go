package widgets

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestFragmentTimelineGapsAndScrubbing: two runs of fragments with a gap between them are drawn with the gap
// hatched; a tap scrubs to the time under it; a drag scrubs once, where it lets go.
func TestFragmentTimelineGapsAndScrubbing(t *testing.T) {
	test.NewTempApp(t)
	time.Local = time.UTC // the labels show local time
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var spans []TimelineSpan
	for i := range 10 {
		start := base.Add(time.Duration(2*i) * time.Second)
		if i >= 5 {
			start = start.Add(20 * time.Second) // the producer stopped for 20 s
		}
		spans = append(spans, TimelineSpan{Start: start, End: start.Add(2 * time.Second)})
	}
	tl := NewFragmentTimeline()
	var scrubs []time.Time
	tl.OnScrub = func(at time.Time) { scrubs = append(scrubs, at) }
	tl.SetFragments(spans)
	tl.SetPlayhead(base.Add(5 * time.Second))
	w := test.NewTempWindow(t, tl)
	w.Resize(fyne.NewSize(400, 60))
	test.AssertImageMatches(t, "fragmenttimeline.png", w.Canvas().Capture())

	from, to := tl.Range()
	if !from.Equal(base) || to.Sub(from) != 40*time.Second {
		t.Fatalf("range %v – %v", from, to)
	}
	img := tl.draw(400, 20)
	if c := img.At(300, 10); c != timelineShadeA && c != timelineShadeB {
		t.Fatalf("a fragment at 30 s is drawn %v", c)
	}
	gapHasTrack := false
	for x := 130; x < 190; x++ { // 13–19 s: the gap
		if c := img.At(x, 10); c == timelineShadeA || c == timelineShadeB {
			t.Fatalf("the gap is drawn as a fragment at x=%d", x)
		}
		if img.At(x, 10) == timelineHatch {
			gapHasTrack = true
		}
	}
	if !gapHasTrack {
		t.Fatal("the gap is not hatched")
	}

	size := tl.Size()
	test.TapAt(tl, fyne.NewPos(size.Width/4, 10))
	if len(scrubs) != 1 || scrubs[0].Sub(base) < 9*time.Second || scrubs[0].Sub(base) > 11*time.Second {
		t.Fatalf("a tap a quarter along scrubbed to %v", scrubs)
	}
	// as the desktop driver sends them: each event at the pointer's current position
	for _, x := range []float32{size.Width / 2, size.Width * 5 / 8, size.Width * 3 / 4} {
		tl.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, 10)}, Dragged: fyne.NewDelta(size.Width/8, 0)})
	}
	if len(scrubs) != 1 {
		t.Fatal("a drag scrubbed before it let go")
	}
	tl.DragEnd()
	if len(scrubs) != 2 || scrubs[1].Sub(base) < 29*time.Second || scrubs[1].Sub(base) > 31*time.Second {
		t.Fatalf("a drag to three quarters scrubbed to %v", scrubs)
	}
	tl.SetPlayhead(base) // the player moves it again after the scrub

	// zoomed to 10 s: the window follows the playhead, within the recording, and taps map into it
	tl.SetSpan(10 * time.Second)
	if from, to := tl.Window(); !from.Equal(base) || to.Sub(from) != 10*time.Second {
		t.Fatalf("zoomed window at the start: %v – %v", from, to)
	}
	tl.SetPlayhead(base.Add(25 * time.Second))
	if from, _ := tl.Window(); !from.Equal(base.Add(20 * time.Second)) {
		t.Fatalf("zoomed window around 25 s starts at %v", from.Sub(base))
	}
	if at := tl.TimeAt(size.Width/2, size.Width); !at.Equal(base.Add(25 * time.Second)) {
		t.Fatalf("the middle of the zoomed window is %v", at.Sub(base))
	}
	tl.SetPlayhead(time.Time{})
	if from, to := tl.Window(); !to.Equal(base.Add(40*time.Second)) || to.Sub(from) != 10*time.Second {
		t.Fatalf("zoomed without a playhead: %v – %v, want the newest 10 s", from.Sub(base), to.Sub(base))
	}
	tl.SetSpan(0)
	tl.SetFragments(nil)
	if at := tl.TimeAt(10, 100); !at.IsZero() {
		t.Fatalf("an empty timeline scrubs to %v", at)
	}
}

// TestZoomedTimelineHoldsStillWhileDragged: the window follows the playhead, but not during a drag, or the time
// under a still pointer would run away.
func TestZoomedTimelineHoldsStillWhileDragged(t *testing.T) {
	test.NewTempApp(t)
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var spans []TimelineSpan
	for i := range 300 {
		spans = append(spans, TimelineSpan{Start: base.Add(time.Duration(2*i) * time.Second), End: base.Add(time.Duration(2*i+2) * time.Second)})
	}
	tl := NewFragmentTimeline()
	var scrubs []time.Time
	tl.OnScrub = func(at time.Time) { scrubs = append(scrubs, at) }
	tl.SetFragments(spans)
	tl.SetSpan(time.Minute)
	tl.SetPlayhead(base.Add(5 * time.Minute))
	w := test.NewTempWindow(t, tl)
	w.Resize(fyne.NewSize(400, 60))
	x := tl.Size().Width * 3 / 4
	want := tl.TimeAt(x, tl.Size().Width)
	for range 10 { // the pointer held still
		tl.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, 10)}})
	}
	tl.DragEnd()
	if len(scrubs) != 1 || !scrubs[0].Equal(want) {
		t.Fatalf("a still drag scrubbed to %v, the time under the pointer is %v", scrubs, want)
	}
}
