package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
)

// NewLegend returns the utilisation scale's key: the gradient from idle to ScaleMax with the limit marked, and the
// write-throttle dot and read-throttle bar explained.
func NewLegend() fyne.CanvasObject {
	ramp := canvas.NewRasterWithPixels(func(x, y, w, h int) color.Color {
		u := float64(x) / float64(max(1, w-1)) * ScaleMax
		// A dark tick where the limit sits, so 100 % reads without relying on hue.
		lx := int(float64(w-1) / ScaleMax)
		if x == lx || x == lx+1 {
			return color.NRGBA{0x10, 0x10, 0x10, 0xff}
		}
		return UtilisationColor(u)
	})
	ramp.SetMinSize(fyne.NewSize(340, 12))
	small := func(s string) *canvas.Text {
		t := canvas.NewText(s, theme.Color(theme.ColorNameForeground))
		t.TextSize = SmallText()
		return t
	}
	ticks := container.New(&tickLayout{at: []float32{0, 0.5 / ScaleMax, 1 / ScaleMax, 1}},
		small("0 %"), small("50 %"), small("limit"), small("125 %+"))
	dot := canvas.NewRasterWithPixels(func(x, y, w, h int) color.Color {
		c := UtilisationColor(1.3)
		if x >= w/2-1 && x <= w/2 && y >= h/2-1 && y <= h/2 {
			return markColor(c)
		}
		return c
	})
	dot.SetMinSize(fyne.NewSize(12, 12))
	bar := canvas.NewRasterWithPixels(func(x, y, w, h int) color.Color {
		c := UtilisationColor(0.4)
		if y >= h-2 && x >= w/6 && x < w-w/6 {
			return markColor(c)
		}
		return c
	})
	bar.SetMinSize(fyne.NewSize(12, 12))
	title := small("utilisation of the shard's write limit")
	return container.NewHBox(
		container.NewVBox(title, container.NewVBox(ramp, ticks)),
		layout.NewSpacer(),
		container.NewCenter(container.NewVBox(container.NewHBox(dot, small("writes throttled")),
			container.NewHBox(bar, small("reads throttled")))),
	)
}

// tickLayout places each label centred under its fraction of the width, kept inside the container.
type tickLayout struct{ at []float32 }

func (l *tickLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for i, o := range objs {
		s := o.MinSize()
		x := size.Width*l.at[i] - s.Width/2
		x = min(max(0, x), size.Width-s.Width)
		o.Move(fyne.NewPos(x, 0))
		o.Resize(s)
	}
}

func (l *tickLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		s := o.MinSize()
		w += s.Width + 8
		h = max(h, s.Height)
	}
	return fyne.NewSize(max(w, 180), h)
}
