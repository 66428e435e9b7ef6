package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

// pipelineRenderer rebuilds its objects on every refresh: a pipeline has tens of nodes at most, and a link is 16
// short lines, so this stays a few hundred small objects.
type pipelineRenderer struct {
	c       *PipelineCanvas
	bg      *canvas.Rectangle
	objects []fyne.CanvasObject
}

func newPipelineRenderer(c *PipelineCanvas) *pipelineRenderer {
	r := &pipelineRenderer{c: c, bg: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

func (r *pipelineRenderer) Destroy() {}

func (r *pipelineRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.Refresh()
}

func (r *pipelineRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 150) }

func (r *pipelineRenderer) Objects() []fyne.CanvasObject { return r.objects }

var (
	problemColor  = color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	selectedColor = color.NRGBA{0x1f, 0x77, 0xb4, 0xff}
)

func (r *pipelineRenderer) Refresh() {
	c := r.c
	th := c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	muted := th.Color(theme.ColorNamePlaceHolder, v)
	r.bg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.bg.Resize(c.Size())

	c.mu.Lock()
	defer c.mu.Unlock()
	objs := []fyne.CanvasObject{r.bg}
	linkColor := th.Color(theme.ColorNamePlaceHolder, v)
	for _, l := range c.links {
		from, to := c.indexLocked(l.From), c.indexLocked(l.To)
		if from < 0 || to < 0 {
			continue
		}
		col, width := linkColor, 2*c.zoom
		if c.selectedLink != nil && *c.selectedLink == l {
			col, width = selectedColor, 3.5*c.zoom
		}
		objs = appendCurve(objs, curve(c.outPortLocked(c.nodes[from]), c.inPortLocked(c.nodes[to])), col, width)
	}
	if c.drag.kind == dragConnect {
		if i := c.indexLocked(c.drag.node); i >= 0 {
			objs = appendCurve(objs, curve(c.outPortLocked(c.nodes[i]), c.drag.pointer), selectedColor, 2*c.zoom)
		}
	}
	for _, n := range c.nodes {
		objs = r.appendNode(objs, n, fg, muted, n.ID == c.selected, false)
	}
	for _, n := range c.nodes { // over every card, so that a node dragged close never hides another's port
		objs = r.appendPorts(objs, n, fg)
	}
	if c.ghost != nil {
		objs = r.appendNode(objs, *c.ghost, fg, muted, false, true)
		objs = r.appendPorts(objs, *c.ghost, fg)
	}
	r.objects = objs
	for _, o := range objs {
		o.Refresh()
	}
}

func appendCurve(objs []fyne.CanvasObject, pts []fyne.Position, col color.Color, width float32) []fyne.CanvasObject {
	for i := 1; i < len(pts); i++ {
		line := canvas.NewLine(col)
		line.StrokeWidth = width
		line.Position1, line.Position2 = pts[i-1], pts[i]
		objs = append(objs, line)
	}
	return objs
}

// appendNode draws a node: a tinted card with its category's stripe, title, settings, counts and ports.
func (r *pipelineRenderer) appendNode(objs []fyne.CanvasObject, n PipelineNode, fg, muted color.Color, selected, ghost bool) []fyne.CanvasObject {
	c := r.c
	z := c.zoom
	pos := c.toScreenLocked(n.X, n.Y)
	size := fyne.NewSize(NodeWidth*z, NodeHeight*z)

	card := canvas.NewRectangle(tint(n.Color, 0x30))
	card.CornerRadius = 6 * z
	card.StrokeColor = n.Color
	card.StrokeWidth = 1.5 * z
	if n.Problem {
		card.StrokeColor, card.StrokeWidth = problemColor, 2.5*z
	}
	if selected { // a halo around the card, so a problem's red border still shows
		halo := canvas.NewRectangle(color.Transparent)
		halo.CornerRadius = 9 * z
		halo.StrokeColor, halo.StrokeWidth = fg, 2
		halo.Move(pos.SubtractXY(4*z, 4*z))
		halo.Resize(size.AddWidthHeight(8*z, 8*z))
		objs = append(objs, halo)
	}
	if ghost {
		card.FillColor = tint(n.Color, 0x18)
	}
	card.Move(pos)
	card.Resize(size)
	stripe := canvas.NewRectangle(n.Color)
	stripe.CornerRadius = 2 * z
	stripe.Move(pos.AddXY(6*z, 8*z))
	stripe.Resize(fyne.NewSize(4*z, NodeHeight*z-16*z))
	objs = append(objs, card, stripe)

	textX := pos.X + 16*z
	maxChars := func(textSize float32) int { return int((NodeWidth - 24) * z / (textSize * 0.52)) }
	addText := func(s string, y, textSize float32, col color.Color, bold bool) {
		if s == "" {
			return
		}
		t := canvas.NewText(ellipsize(s, maxChars(textSize)), col)
		t.TextSize = textSize
		t.TextStyle.Bold = bold
		t.Move(fyne.NewPos(textX, pos.Y+y*z))
		objs = append(objs, t)
	}
	addText(n.Title, 8, 13*z, fg, true)
	addText(n.Detail, 30, 11*z, fg, false)
	countsColor := muted
	if n.Problem {
		countsColor = problemColor
	}
	addText(n.Counts, 50, 11*z, countsColor, false)
	return objs
}

// appendPorts draws a node's input (left) and output (right) ports.
func (r *pipelineRenderer) appendPorts(objs []fyne.CanvasObject, n PipelineNode, fg color.Color) []fyne.CanvasObject {
	z := r.c.zoom
	pos := r.c.toScreenLocked(n.X, n.Y)
	size := fyne.NewSize(NodeWidth*z, NodeHeight*z)
	port := func(center fyne.Position) {
		dot := canvas.NewCircle(opaque(n.Color))
		dot.StrokeColor = fg
		dot.StrokeWidth = 1
		rad := portRadius * z
		dot.Move(center.SubtractXY(rad, rad))
		dot.Resize(fyne.NewSize(2*rad, 2*rad))
		objs = append(objs, dot)
	}
	if n.Input {
		port(pos.AddXY(0, size.Height/2))
	}
	if n.Output {
		port(pos.AddXY(size.Width, size.Height/2))
	}
	return objs
}

// opaque is a port's fill: the node's colour without its alpha.
func opaque(c color.NRGBA) color.Color { c.A = 0xff; return c }

// tint is a colour made translucent, for a card's fill over the canvas background.
func tint(c color.NRGBA, alpha uint8) color.Color { c.A = alpha; return c }

// ellipsize shortens text to n characters, ending in "…".
func ellipsize(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		if n < 2 {
			return ""
		}
		return s
	}
	return string(r[:n-1]) + "…"
}
