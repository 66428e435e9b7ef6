package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// NewFlow lays objects out left to right and wraps them onto more rows when the width runs out, so a row of
// buttons or cards never widens the window: its minimum width is its widest object.
//
// Unlike Fyne's RowWrapLayout, whose minimum width after a layout is the width it was given (so a window, once
// wide, could never be made narrow again), the minimum height follows the last width laid out; the driver lays the
// parent out again when that changes.
func NewFlow(objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&flowLayout{}, objects...)
}

type flowLayout struct {
	width float32 // the width of the last layout; 0 before the first
}

func (l *flowLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objects {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	width := l.width
	if width < widest {
		width = widest
	}
	return fyne.NewSize(widest, l.place(objects, width, false))
}

func (l *flowLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	l.place(objects, size.Width, true)
}

// place walks the rows objects make in width, moving and sizing them when move is set, and returns the height used.
func (l *flowLayout) place(objects []fyne.CanvasObject, width float32, move bool) float32 {
	pad := theme.Padding()
	var x, y, rowH float32
	first := true
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if !first && x+s.Width > width {
			x, y = 0, y+rowH+pad
			rowH = 0
		}
		first = false
		if move {
			o.Move(fyne.NewPos(x, y))
			o.Resize(s)
		}
		x += s.Width + pad
		rowH = max(rowH, s.Height)
	}
	return y + rowH
}
