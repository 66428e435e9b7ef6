package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tooltipWidth is the widest a tooltip grows before it wraps (scaled with the text size).
const tooltipWidth = 460

// Tooltip shows hover details in full in a panel beside the pointer, over a screen's content. It lives in a layer
// stacked over that content; the layer and its card take no pointer events, so the widget under the pointer keeps
// receiving its hover. Fyne's PopUp would not do: it covers the whole window to catch taps.
type Tooltip struct {
	layer *fyne.Container
	card  *fyne.Container
	bg    *canvas.Rectangle
	label *widget.Label
	// The pointer can leave the window without the widget under it hearing of it, so a tooltip goes once the
	// pointer has rested tooltipRest; it comes back when the pointer moves.
	lastAt  fyne.Position
	rested  bool
	restEnd *time.Timer
}

var tooltipRest = 4 * time.Second // a var so the test can wait less

// NewTooltip returns a hidden tooltip; stack Layer over the content it describes.
func NewTooltip() *Tooltip {
	t := &Tooltip{bg: canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground)), label: widget.NewLabel("")}
	t.label.Wrapping = fyne.TextWrapWord
	t.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	t.bg.StrokeWidth = 1
	t.bg.CornerRadius = 4
	t.card = container.NewStack(t.bg, t.label)
	t.card.Hide()
	t.layer = container.NewWithoutLayout(t.card)
	return t
}

// Layer is what goes over the content, in a Stack.
func (t *Tooltip) Layer() fyne.CanvasObject { return t.layer }

// Show puts text beside the pointer at abs (an absolute position), kept inside the layer.
func (t *Tooltip) Show(text string, abs fyne.Position) {
	if abs != t.lastAt || t.restEnd == nil {
		t.lastAt, t.rested = abs, false
		if t.restEnd != nil {
			t.restEnd.Stop()
		}
		t.restEnd = time.AfterFunc(tooltipRest, func() {
			OnUI(func() {
				t.rested = true
				t.Hide()
			})
		})
	}
	if t.rested {
		return
	}
	t.label.SetText(text)
	t.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	// A wrapping label reports almost no minimum width, so the card is as wide as the longest line measured.
	var widest float32
	for _, line := range strings.Split(text, "\n") {
		widest = max(widest, fyne.MeasureText(line, theme.Size(theme.SizeNameText), fyne.TextStyle{}).Width)
	}
	w := min(Scaled(tooltipWidth), widest+2*theme.Size(theme.SizeNameInnerPadding)+2)
	t.label.Resize(fyne.NewSize(w, 0))
	size := fyne.NewSize(w, t.label.MinSize().Height)
	t.card.Resize(size)
	origin := fyne.NewPos(0, 0)
	if d := fyne.CurrentApp(); d != nil {
		origin = d.Driver().AbsolutePositionForObject(t.layer)
	}
	at := abs.Subtract(origin).AddXY(16, 20) // below and right of the pointer, not under it
	area := t.layer.Size()
	if at.X+size.Width > area.Width {
		at.X = max(0, area.Width-size.Width)
	}
	if at.Y+size.Height > area.Height {
		at.Y = max(0, abs.Subtract(origin).Y-size.Height-8) // above the pointer when there is no room below
	}
	t.card.Move(at)
	t.card.Show()
	t.card.Refresh()
}

// Hide takes the tooltip away.
func (t *Tooltip) Hide() {
	if t.card.Visible() {
		t.card.Hide()
	}
}

// Text is what the tooltip shows, "" when hidden.
func (t *Tooltip) Text() string {
	if !t.card.Visible() {
		return ""
	}
	return t.label.Text
}
