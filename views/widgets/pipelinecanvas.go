package widgets

import (
	"image/color"
	"math"
	"slices"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// PipelineNode is one box of a PipelineCanvas, in canvas (world) units: a title, a line of its settings, a line of
// live counts, and the ports it has.
type PipelineNode struct {
	ID      string
	Title   string
	Detail  string
	Counts  string // empty hides the line
	Color   color.NRGBA
	Input   bool // has an input port (left)
	Output  bool // has an output port (right)
	Problem bool // drawn with a red border: the node is why the pipeline cannot run
	X, Y    float32
}

// PipelineLink joins the output port of From to the input port of To.
type PipelineLink struct{ From, To string }

// Node size and port geometry, in world units.
const (
	NodeWidth  = 190
	NodeHeight = 78
	portRadius = 6
	portReach  = 14 // how far from a port's centre a press still takes it
	minZoom    = 0.3
	maxZoom    = 2.5
)

// PipelineCanvas is a node editor for delivery pipelines. Drag a node to move it, drag from an output port to a
// node to connect them, drag the background to pan, scroll to zoom, tap to select (a node or a link), Delete to
// remove what is selected. It only draws and reports gestures: the caller owns the graph and calls SetGraph after
// each change. fyne.io/x/fyne's diagramwidget was the first choice but has no zoom and connects links through a
// programmatic transaction rather than a drag from a port, both of which the builder needs.
type PipelineCanvas struct {
	widget.BaseWidget

	// OnSelect is called with the node tapped, or "" when the background or a link was tapped.
	OnSelect func(id string)
	// OnSelectLink is called when a link is tapped.
	OnSelectLink func(PipelineLink)
	// OnMove is called when a node's drag ends, with its new place.
	OnMove func(id string, x, y float32)
	// OnConnect is called when a drag from an output port ends on another node.
	OnConnect func(from, to string)
	// OnDrop is called when a palette item is dropped on the canvas, at the world point of its top-left corner.
	OnDrop func(kind string, x, y float32)
	// OnDelete is called on the Delete key, for what is selected.
	OnDelete func()

	mu           sync.Mutex
	nodes        []PipelineNode
	links        []PipelineLink
	selected     string
	selectedLink *PipelineLink
	zoom         float32
	pan          fyne.Position
	drag         dragState
	ghost        *PipelineNode // a palette item being dragged over the canvas, in world units
}

type dragKind int

const (
	dragNone dragKind = iota
	dragNode
	dragConnect
	dragPan
)

type dragState struct {
	kind    dragKind
	node    string        // the node moved, or the one connected from
	pointer fyne.Position // where the pointer is now, in widget coordinates
}

// NewPipelineCanvas returns an empty canvas at 100 %.
func NewPipelineCanvas() *PipelineCanvas {
	c := &PipelineCanvas{zoom: 1, pan: fyne.NewPos(0, 0)}
	c.ExtendBaseWidget(c)
	return c
}

// SetGraph replaces what is drawn; the selection stays when its node or link is still there.
func (c *PipelineCanvas) SetGraph(nodes []PipelineNode, links []PipelineLink) {
	c.mu.Lock()
	if c.drag.kind == dragNode { // the node being dragged keeps its place under the pointer
		if i := c.indexLocked(c.drag.node); i >= 0 {
			for j := range nodes {
				if nodes[j].ID == c.drag.node {
					nodes[j].X, nodes[j].Y = c.nodes[i].X, c.nodes[i].Y
				}
			}
		}
	}
	c.nodes, c.links = slices.Clone(nodes), slices.Clone(links)
	if c.indexLocked(c.selected) < 0 {
		c.selected = ""
	}
	if c.selectedLink != nil && !slices.Contains(c.links, *c.selectedLink) {
		c.selectedLink = nil
	}
	c.mu.Unlock()
	c.Refresh()
}

// Select marks a node as selected ("" for none) without calling OnSelect.
func (c *PipelineCanvas) Select(id string) {
	c.mu.Lock()
	c.selected, c.selectedLink = id, nil
	c.mu.Unlock()
	c.Refresh()
}

// Selected is the selected node's ID, or "".
func (c *PipelineCanvas) Selected() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.selected
}

// SelectedLink is the selected link, if one is.
func (c *PipelineCanvas) SelectedLink() (PipelineLink, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.selectedLink == nil {
		return PipelineLink{}, false
	}
	return *c.selectedLink, true
}

// Zoom is the scale, 1 for 100 %.
func (c *PipelineCanvas) Zoom() float32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.zoom
}

// ZoomBy scales the view by factor around a point of the widget (its centre when around is nil).
func (c *PipelineCanvas) ZoomBy(factor float32, around *fyne.Position) {
	c.mu.Lock()
	p := fyne.NewPos(c.Size().Width/2, c.Size().Height/2)
	if around != nil {
		p = *around
	}
	world := c.toWorldLocked(p)
	c.zoom = float32(math.Max(minZoom, math.Min(maxZoom, float64(c.zoom*factor))))
	// keep the world point under p where it was
	c.pan = fyne.NewPos(p.X-world.X*c.zoom, p.Y-world.Y*c.zoom)
	c.mu.Unlock()
	c.Refresh()
}

// Fit zooms and pans so that every node shows, at 100 % at most.
func (c *PipelineCanvas) Fit() {
	c.mu.Lock()
	size := c.Size()
	if len(c.nodes) == 0 || size.Width == 0 {
		c.zoom, c.pan = 1, fyne.NewPos(0, 0)
		c.mu.Unlock()
		c.Refresh()
		return
	}
	minX, minY := float32(math.MaxFloat32), float32(math.MaxFloat32)
	maxX, maxY := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	for _, n := range c.nodes {
		minX, minY = min(minX, n.X), min(minY, n.Y)
		maxX, maxY = max(maxX, n.X+NodeWidth), max(maxY, n.Y+NodeHeight)
	}
	const margin = 30
	zx := (size.Width - 2*margin) / (maxX - minX)
	zy := (size.Height - 2*margin) / (maxY - minY)
	c.zoom = float32(math.Max(minZoom, math.Min(1, float64(min(zx, zy)))))
	c.pan = fyne.NewPos(margin-minX*c.zoom+((size.Width-2*margin)-(maxX-minX)*c.zoom)/2, margin-minY*c.zoom)
	c.mu.Unlock()
	c.Refresh()
}

// Node is a node as drawn now.
func (c *PipelineCanvas) Node(id string) (PipelineNode, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.indexLocked(id); i >= 0 {
		return c.nodes[i], true
	}
	return PipelineNode{}, false
}

// PortPosition is where a node's output (or input) port is drawn, in the widget's coordinates.
func (c *PipelineCanvas) PortPosition(id string, output bool) (fyne.Position, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.indexLocked(id)
	if i < 0 {
		return fyne.Position{}, false
	}
	if output {
		return c.outPortLocked(c.nodes[i]), true
	}
	return c.inPortLocked(c.nodes[i]), true
}

// ViewCenter is the world point at the middle of the view: where a tapped palette item lands.
func (c *PipelineCanvas) ViewCenter() fyne.Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.toWorldLocked(fyne.NewPos(c.Size().Width/2, c.Size().Height/2))
}

func (c *PipelineCanvas) toWorldLocked(p fyne.Position) fyne.Position {
	return fyne.NewPos((p.X-c.pan.X)/c.zoom, (p.Y-c.pan.Y)/c.zoom)
}

func (c *PipelineCanvas) toScreenLocked(x, y float32) fyne.Position {
	return fyne.NewPos(x*c.zoom+c.pan.X, y*c.zoom+c.pan.Y)
}

func (c *PipelineCanvas) indexLocked(id string) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(c.nodes, func(n PipelineNode) bool { return n.ID == id })
}

// outPortLocked and inPortLocked are a node's port centres in widget coordinates.
func (c *PipelineCanvas) outPortLocked(n PipelineNode) fyne.Position {
	return c.toScreenLocked(n.X+NodeWidth, n.Y+NodeHeight/2)
}

func (c *PipelineCanvas) inPortLocked(n PipelineNode) fyne.Position {
	return c.toScreenLocked(n.X, n.Y+NodeHeight/2)
}

// nodeAtLocked is the topmost node under p (widget coordinates), or -1.
func (c *PipelineCanvas) nodeAtLocked(p fyne.Position) int {
	w := c.toWorldLocked(p)
	for i := len(c.nodes) - 1; i >= 0; i-- {
		n := c.nodes[i]
		if w.X >= n.X && w.X <= n.X+NodeWidth && w.Y >= n.Y && w.Y <= n.Y+NodeHeight {
			return i
		}
	}
	return -1
}

// outPortAtLocked is the node whose output port is under p, or -1.
func (c *PipelineCanvas) outPortAtLocked(p fyne.Position) int {
	for i := len(c.nodes) - 1; i >= 0; i-- {
		if c.nodes[i].Output && distance(p, c.outPortLocked(c.nodes[i])) <= portReach*max(c.zoom, 0.7) {
			return i
		}
	}
	return -1
}

// linkAtLocked is the link passing within a few pixels of p.
func (c *PipelineCanvas) linkAtLocked(p fyne.Position) *PipelineLink {
	for _, l := range c.links {
		from, to := c.indexLocked(l.From), c.indexLocked(l.To)
		if from < 0 || to < 0 {
			continue
		}
		pts := curve(c.outPortLocked(c.nodes[from]), c.inPortLocked(c.nodes[to]))
		for i := 1; i < len(pts); i++ {
			if segmentDistance(p, pts[i-1], pts[i]) <= 5 {
				return &l
			}
		}
	}
	return nil
}

// Tapped selects what is under the pointer and takes the keyboard focus, for Delete.
func (c *PipelineCanvas) Tapped(ev *fyne.PointEvent) {
	c.mu.Lock()
	var id string
	var link *PipelineLink
	if i := c.nodeAtLocked(ev.Position); i >= 0 {
		id = c.nodes[i].ID
	} else {
		link = c.linkAtLocked(ev.Position)
	}
	c.selected, c.selectedLink = id, link
	c.mu.Unlock()
	c.Refresh()
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil {
		cv.Focus(c)
	}
	if link != nil && c.OnSelectLink != nil {
		c.OnSelectLink(*link)
	} else if c.OnSelect != nil {
		c.OnSelect(id)
	}
}

// Dragged moves a node, draws a link being connected, or pans, depending on what the drag started on. As Fyne's
// desktop driver sends them, Position is where the pointer is now and the first event's Dragged reaches back to
// where the button went down.
func (c *PipelineCanvas) Dragged(ev *fyne.DragEvent) {
	c.mu.Lock()
	if c.drag.kind == dragNone {
		start := ev.Position.SubtractXY(ev.Dragged.DX, ev.Dragged.DY)
		switch port, node := c.outPortAtLocked(start), c.nodeAtLocked(start); {
		case port >= 0:
			c.drag.kind, c.drag.node = dragConnect, c.nodes[port].ID
		case node >= 0:
			c.drag.kind, c.drag.node = dragNode, c.nodes[node].ID
			c.selected, c.selectedLink = c.nodes[node].ID, nil
		default:
			c.drag.kind = dragPan
		}
	}
	c.drag.pointer = ev.Position
	switch c.drag.kind {
	case dragNode:
		if i := c.indexLocked(c.drag.node); i >= 0 {
			c.nodes[i].X += ev.Dragged.DX / c.zoom
			c.nodes[i].Y += ev.Dragged.DY / c.zoom
		}
	case dragPan:
		c.pan = c.pan.AddXY(ev.Dragged.DX, ev.Dragged.DY)
	}
	c.mu.Unlock()
	c.Refresh()
}

// DragEnd reports the move or the connection the drag made.
func (c *PipelineCanvas) DragEnd() {
	c.mu.Lock()
	d := c.drag
	c.drag = dragState{}
	var moved *PipelineNode
	var target string
	switch d.kind {
	case dragNode:
		if i := c.indexLocked(d.node); i >= 0 {
			n := c.nodes[i]
			moved = &n
		}
	case dragConnect:
		if i := c.nodeAtLocked(d.pointer); i >= 0 && c.nodes[i].Input {
			target = c.nodes[i].ID
		} else {
			for i := len(c.nodes) - 1; i >= 0; i-- { // or dropped right on an input port, just outside the box
				if c.nodes[i].Input && distance(d.pointer, c.inPortLocked(c.nodes[i])) <= portReach*max(c.zoom, 0.7) {
					target = c.nodes[i].ID
					break
				}
			}
		}
	}
	c.mu.Unlock()
	c.Refresh()
	switch {
	case moved != nil:
		if c.OnSelect != nil {
			c.OnSelect(moved.ID)
		}
		if c.OnMove != nil {
			c.OnMove(moved.ID, moved.X, moved.Y)
		}
	case target != "" && c.OnConnect != nil:
		c.OnConnect(d.node, target)
	}
}

// Scrolled zooms around the pointer.
func (c *PipelineCanvas) Scrolled(ev *fyne.ScrollEvent) {
	if ev.Scrolled.DY == 0 {
		return
	}
	factor := float32(math.Pow(1.1, float64(ev.Scrolled.DY)/25)) // a wheel notch scrolls by about 25
	p := ev.Position
	c.ZoomBy(factor, &p)
}

// FocusGained, FocusLost and TypedRune make the canvas focusable, so that Delete reaches it.
func (c *PipelineCanvas) FocusGained()   {}
func (c *PipelineCanvas) FocusLost()     {}
func (c *PipelineCanvas) TypedRune(rune) {}

// TypedKey deletes what is selected on Delete or Backspace.
func (c *PipelineCanvas) TypedKey(ev *fyne.KeyEvent) {
	if (ev.Name == fyne.KeyDelete || ev.Name == fyne.KeyBackspace) && c.OnDelete != nil {
		c.OnDelete()
	}
}

// ShowGhost draws a palette item being dragged at an absolute (window) position; hide it with HideGhost.
func (c *PipelineCanvas) ShowGhost(n PipelineNode, abs fyne.Position) {
	origin := fyne.CurrentApp().Driver().AbsolutePositionForObject(c)
	c.mu.Lock()
	w := c.toWorldLocked(abs.Subtract(origin))
	n.X, n.Y = w.X-NodeWidth/2, w.Y-NodeHeight/2
	c.ghost = &n
	c.mu.Unlock()
	c.Refresh()
}

// HideGhost removes the dragged palette item.
func (c *PipelineCanvas) HideGhost() {
	c.mu.Lock()
	c.ghost = nil
	c.mu.Unlock()
	c.Refresh()
}

// DropAt ends a palette drag at an absolute position: inside the canvas, OnDrop gets the kind and the world point
// where the node's corner goes (centred under the pointer). It reports whether the drop landed.
func (c *PipelineCanvas) DropAt(kind string, abs fyne.Position) bool {
	origin := fyne.CurrentApp().Driver().AbsolutePositionForObject(c)
	p := abs.Subtract(origin)
	c.HideGhost()
	size := c.Size()
	if p.X < 0 || p.Y < 0 || p.X > size.Width || p.Y > size.Height {
		return false
	}
	c.mu.Lock()
	w := c.toWorldLocked(p)
	c.mu.Unlock()
	if c.OnDrop != nil {
		c.OnDrop(kind, w.X-NodeWidth/2, w.Y-NodeHeight/2)
	}
	return true
}

// CreateRenderer draws nodes and links; see pipelinerender.go.
func (c *PipelineCanvas) CreateRenderer() fyne.WidgetRenderer { return newPipelineRenderer(c) }

func distance(a, b fyne.Position) float32 {
	return float32(math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)))
}

// segmentDistance is the distance from p to the segment a–b.
func segmentDistance(p, a, b fyne.Position) float32 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return distance(p, a)
	}
	t := max(0, min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	return distance(p, fyne.NewPos(a.X+t*dx, a.Y+t*dy))
}

// curve is a link's path from an output port to an input port: a cubic Bézier leaving and entering horizontally,
// as a polyline.
func curve(from, to fyne.Position) []fyne.Position {
	const steps = 16
	if to.X < from.X-1 && math.Abs(float64(to.Y-from.Y)) > 1 {
		// A link back to the start of the next row runs around the cards, through the gap between the rows,
		// rather than diagonally across them.
		const out = 24
		midY := (from.Y + to.Y) / 2
		return []fyne.Position{from, from.AddXY(out, 0), fyne.NewPos(from.X+out, midY), fyne.NewPos(to.X-out, midY),
			to.AddXY(-out, 0), to}
	}
	bend := max(40, float32(math.Abs(float64(to.X-from.X)))/2)
	c1, c2 := from.AddXY(bend, 0), to.AddXY(-bend, 0)
	pts := make([]fyne.Position, 0, steps+1)
	for i := 0; i <= steps; i++ {
		t := float32(i) / steps
		u := 1 - t
		pts = append(pts, fyne.NewPos(
			u*u*u*from.X+3*u*u*t*c1.X+3*u*t*t*c2.X+t*t*t*to.X,
			u*u*u*from.Y+3*u*u*t*c1.Y+3*u*t*t*c2.Y+t*t*t*to.Y))
	}
	return pts
}
