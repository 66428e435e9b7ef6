package widgets

import (
	"image"
	"image/color"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TimelineSpan is one fragment on the timeline: its producer-time extent.
type TimelineSpan struct {
	Start, End time.Time
}

// FragmentTimeline draws a video stream's fragments along producer time, from the first fragment's start to the
// last one's end: fragments as blocks (alternate shades so their edges show), gaps where nothing was recorded as
// hatched empty track, and the playhead as a line. Tapping or dragging scrubs: OnScrub gets the time under the
// pointer (on release, for a drag, so a drag does not reload the player at every pixel).
type FragmentTimeline struct {
	widget.BaseWidget

	// OnScrub is called with the time the user picked.
	OnScrub func(time.Time)

	mu       sync.Mutex
	spans    []TimelineSpan // by start
	playhead time.Time
	dragging bool
	dragWin  [2]time.Time  // the window when the drag began: it holds still under the pointer while zoomed
	span     time.Duration // how much is shown; 0: the whole recording
}

// NewFragmentTimeline returns an empty timeline.
func NewFragmentTimeline() *FragmentTimeline {
	t := &FragmentTimeline{}
	t.ExtendBaseWidget(t)
	return t
}

// SetFragments replaces the fragments drawn (sorted by start).
func (t *FragmentTimeline) SetFragments(spans []TimelineSpan) {
	t.mu.Lock()
	t.spans = spans
	t.mu.Unlock()
	t.Refresh()
}

// SetPlayhead moves the playhead; a zero time hides it. A drag in progress keeps its own.
func (t *FragmentTimeline) SetPlayhead(at time.Time) {
	t.mu.Lock()
	if t.dragging || at.Equal(t.playhead) {
		t.mu.Unlock()
		return
	}
	t.playhead = at
	t.mu.Unlock()
	t.Refresh()
}

// SetSpan zooms: the timeline shows span of time around the playhead (the newest end when there is none), or
// the whole recording for 0 or a span longer than it.
func (t *FragmentTimeline) SetSpan(span time.Duration) {
	t.mu.Lock()
	t.span = max(span, 0)
	t.mu.Unlock()
	t.Refresh()
}

// Range is the time span the fragments cover: the first fragment's start to the last one's end.
func (t *FragmentTimeline) Range() (from, to time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rangeLocked()
}

// Window is the time span drawn: the range, or the zoomed part of it.
func (t *FragmentTimeline) Window() (from, to time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.windowLocked()
}

func (t *FragmentTimeline) windowLocked() (from, to time.Time) {
	if t.dragging {
		return t.dragWin[0], t.dragWin[1]
	}
	from, to = t.rangeLocked()
	if t.span <= 0 || to.Sub(from) <= t.span {
		return from, to
	}
	centre := to.Add(-t.span / 2)
	if !t.playhead.IsZero() && t.playhead.Before(centre) {
		centre = t.playhead
	}
	start := centre.Add(-t.span / 2)
	if start.Before(from) {
		start = from
	}
	return start, start.Add(t.span)
}

func (t *FragmentTimeline) rangeLocked() (from, to time.Time) {
	if len(t.spans) == 0 {
		return
	}
	from, to = t.spans[0].Start, t.spans[0].End
	for _, s := range t.spans {
		if s.End.After(to) {
			to = s.End
		}
	}
	return from, to
}

// TimeAt is the time under a horizontal position of a timeline width wide.
func (t *FragmentTimeline) TimeAt(x, width float32) time.Time {
	from, to := t.Window()
	if from.IsZero() || width <= 0 {
		return time.Time{}
	}
	frac := min(max(float64(x/width), 0), 1)
	return from.Add(time.Duration(frac * float64(to.Sub(from))))
}

// Tapped scrubs to the time tapped.
func (t *FragmentTimeline) Tapped(ev *fyne.PointEvent) {
	at := t.TimeAt(ev.Position.X, t.Size().Width)
	if at.IsZero() {
		return
	}
	t.mu.Lock()
	t.playhead = at
	t.mu.Unlock()
	t.Refresh()
	if t.OnScrub != nil {
		t.OnScrub(at)
	}
}

// Dragged moves the playhead with the pointer.
func (t *FragmentTimeline) Dragged(ev *fyne.DragEvent) {
	t.mu.Lock()
	if !t.dragging {
		from, to := t.windowLocked()
		t.dragWin, t.dragging = [2]time.Time{from, to}, true
	}
	t.mu.Unlock()
	at := t.TimeAt(ev.Position.X, t.Size().Width)
	if at.IsZero() {
		return
	}
	t.mu.Lock()
	t.playhead = at
	t.mu.Unlock()
	t.Refresh()
}

// DragEnd scrubs to where the drag let go.
func (t *FragmentTimeline) DragEnd() {
	t.mu.Lock()
	at, was := t.playhead, t.dragging
	t.dragging = false
	t.mu.Unlock()
	if was && !at.IsZero() && t.OnScrub != nil {
		t.OnScrub(at)
	}
}

// Cursor shows the timeline can be scrubbed.
func (t *FragmentTimeline) Cursor() desktop.Cursor { return desktop.PointerCursor }

// MinSize is tall enough to hit with a pointer and to read its labels.
func (t *FragmentTimeline) MinSize() fyne.Size { return fyne.NewSize(200, 46) }

var (
	timelineTrack    = color.NRGBA{0x80, 0x80, 0x80, 0x30}
	timelineHatch    = color.NRGBA{0xd6, 0x27, 0x28, 0x90} // gaps: hatched, not only coloured
	timelineShadeA   = color.NRGBA{0x1f, 0x77, 0xb4, 0xff}
	timelineShadeB   = color.NRGBA{0x4a, 0x9a, 0xd4, 0xff}
	timelinePlayhead = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// draw renders the track into a w×h image.
func (t *FragmentTimeline) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	t.mu.Lock()
	defer t.mu.Unlock()
	fill(img, 0, w, 0, h, timelineTrack)
	from, to := t.windowLocked()
	total := to.Sub(from)
	if total <= 0 || w < 2 {
		return img
	}
	xOf := func(at time.Time) int { return int(float64(at.Sub(from)) / float64(total) * float64(w)) }
	// gaps first: hatch the whole track, then cover it with the fragments
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			if (x+y)%6 == 0 {
				img.SetNRGBA(x, y, timelineHatch)
			}
		}
	}
	for i, s := range t.spans {
		if s.End.Before(from) || s.Start.After(to) {
			continue
		}
		x0, x1 := xOf(s.Start), max(xOf(s.End), xOf(s.Start)+1)
		shade := timelineShadeA
		if i%2 == 1 {
			shade = timelineShadeB
		}
		fill(img, x0, min(x1, w), 0, h, shade)
	}
	if !t.playhead.IsZero() && !t.playhead.Before(from) && !t.playhead.After(to) {
		x := min(xOf(t.playhead), w-2)
		fill(img, x, x+2, 0, h, timelinePlayhead)
		fill(img, max(x-1, 0), x, 0, h, color.NRGBA{0, 0, 0, 0xff})
		fill(img, x+2, min(x+3, w), 0, h, color.NRGBA{0, 0, 0, 0xff})
	}
	return img
}

func fill(img *image.NRGBA, x0, x1, y0, y1 int, c color.NRGBA) {
	for y := y0; y < y1; y++ {
		for x := max(x0, 0); x < x1; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

func (t *FragmentTimeline) CreateRenderer() fyne.WidgetRenderer {
	small := func() *canvas.Text {
		l := canvas.NewText("", theme.Color(theme.ColorNameForeground))
		l.TextSize = SmallText()
		return l
	}
	return &timelineRenderer{t: t, raster: canvas.NewRaster(t.draw), from: small(), to: small()}
}

type timelineRenderer struct {
	t        *FragmentTimeline
	raster   *canvas.Raster
	from, to *canvas.Text
}

func (r *timelineRenderer) Layout(size fyne.Size) {
	lh := r.from.MinSize().Height
	r.raster.Move(fyne.NewPos(0, 0))
	r.raster.Resize(fyne.NewSize(size.Width, size.Height-lh-2))
	r.from.Move(fyne.NewPos(0, size.Height-lh))
	r.to.Move(fyne.NewPos(size.Width-r.to.MinSize().Width, size.Height-lh))
}

func (r *timelineRenderer) MinSize() fyne.Size { return r.t.MinSize() }

func (r *timelineRenderer) Refresh() {
	from, to := r.t.Window()
	r.from.Text, r.to.Text = "", ""
	if !from.IsZero() {
		r.from.Text = from.Local().Format("15:04:05")
		r.to.Text = to.Local().Format("15:04:05")
	}
	r.from.Color = theme.Color(theme.ColorNameForeground)
	r.to.Color = r.from.Color
	r.from.Refresh()
	r.to.Refresh()
	r.Layout(r.t.Size())
	r.raster.Refresh()
}

func (r *timelineRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.raster, r.from, r.to}
}

func (r *timelineRenderer) Destroy() {}
