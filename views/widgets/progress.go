package widgets

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Progress is a bar from 0 to 1 that looks empty at 0: Fyne's ProgressBar draws its track in a tint of the
// primary colour, so at 0 % it reads as full. The track here is the input background, the fill the primary colour.
type Progress struct {
	widget.BaseWidget
	value float64
}

// NewProgress returns an empty bar.
func NewProgress() *Progress {
	p := &Progress{}
	p.ExtendBaseWidget(p)
	return p
}

// Value is the fraction shown, 0–1.
func (p *Progress) Value() float64 { return p.value }

// SetValue shows v, held to 0–1.
func (p *Progress) SetValue(v float64) {
	v = min(max(v, 0), 1)
	if v == p.value {
		return
	}
	p.value = v
	p.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (p *Progress) CreateRenderer() fyne.WidgetRenderer {
	r := &progressRenderer{p: p, track: canvas.NewRectangle(nil), fill: canvas.NewRectangle(nil),
		label: canvas.NewText("", nil)}
	r.label.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type progressRenderer struct {
	p           *Progress
	track, fill *canvas.Rectangle
	label       *canvas.Text
}

func (r *progressRenderer) Layout(size fyne.Size) {
	r.track.Resize(size)
	r.fill.Resize(fyne.NewSize(size.Width*float32(r.p.value), size.Height))
	r.label.Resize(size)
}

func (r *progressRenderer) MinSize() fyne.Size {
	s := r.label.MinSize()
	return fyne.NewSize(s.Width+2*theme.Padding(), s.Height+2*theme.Padding())
}

func (r *progressRenderer) Refresh() {
	th, v := r.p.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	r.track.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.track.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.fill.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.fill.CornerRadius = r.track.CornerRadius
	r.label.Text = strconv.Itoa(int(r.p.value*100)) + " %"
	r.label.Color = th.Color(theme.ColorNameForeground, v)
	r.label.TextSize = th.Size(theme.SizeNameText)
	r.Layout(r.p.Size())
	canvas.Refresh(r.p)
}

func (r *progressRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.fill, r.label}
}

func (r *progressRenderer) Destroy() {}
