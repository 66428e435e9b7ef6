package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// PaletteItem is a node type in the builder's palette: drag it onto a PipelineCanvas to add a node there, or tap
// it to add one in the middle of the view.
type PaletteItem struct {
	widget.BaseWidget
	Kind   string
	Title  string
	Color  color.NRGBA
	Target *PipelineCanvas
	// Ghost is the node drawn under the pointer while dragging.
	Ghost PipelineNode
	OnTap func()

	pointer fyne.Position // absolute, while dragging
}

// NewPaletteItem returns an item that drops nodes of kind on target.
func NewPaletteItem(kind, title string, col color.NRGBA, target *PipelineCanvas, ghost PipelineNode, onTap func()) *PaletteItem {
	p := &PaletteItem{Kind: kind, Title: title, Color: col, Target: target, Ghost: ghost, OnTap: onTap}
	p.ExtendBaseWidget(p)
	return p
}

func (p *PaletteItem) CreateRenderer() fyne.WidgetRenderer {
	swatch := canvas.NewRectangle(p.Color)
	swatch.CornerRadius = 3
	swatch.SetMinSize(fyne.NewSize(10, 18))
	label := widget.NewLabel(p.Title)
	return widget.NewSimpleRenderer(container.NewHBox(container.New(layout.NewCenterLayout(), swatch), label))
}

// Tapped adds a node in the middle of the view.
func (p *PaletteItem) Tapped(*fyne.PointEvent) {
	if p.OnTap != nil {
		p.OnTap()
	}
}

// Dragged shows the node under the pointer over the canvas.
func (p *PaletteItem) Dragged(ev *fyne.DragEvent) {
	p.pointer = fyne.CurrentApp().Driver().AbsolutePositionForObject(p).Add(ev.Position)
	if p.Target != nil {
		p.Target.ShowGhost(p.Ghost, p.pointer)
	}
}

// DragEnd drops the node where the pointer is, if that is on the canvas.
func (p *PaletteItem) DragEnd() {
	if p.Target != nil {
		p.Target.DropAt(p.Kind, p.pointer)
	}
}
