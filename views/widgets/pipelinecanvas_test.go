package widgets

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// desktopDrag sends a drag as Fyne's desktop driver does (unlike test.Drag): Position is where the pointer is,
// the first Dragged reaches back to where the button went down. Points are in obj's coordinates.
func desktopDrag(obj fyne.Draggable, from, to fyne.Position) {
	mid := fyne.NewPos((from.X+to.X)/2, (from.Y+to.Y)/2)
	obj.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: mid}, Dragged: fyne.NewDelta(mid.X-from.X, mid.Y-from.Y)})
	obj.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: to}, Dragged: fyne.NewDelta(to.X-mid.X, to.Y-mid.Y)})
	obj.DragEnd()
}

func threeNodes() ([]PipelineNode, []PipelineLink) {
	blue, purple, green := color.NRGBA{0x1f, 0x77, 0xb4, 0xff}, color.NRGBA{0x94, 0x67, 0xbd, 0xff}, color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}
	return []PipelineNode{
		{ID: "src", Title: "Stream source", Detail: "logs from TRIM_HORIZON", Counts: "read 1,200", Color: blue, Output: true, X: 20, Y: 40},
		{ID: "tr", Title: "Transform", Detail: `{"level": data.level}`, Counts: "in 1,200 · out 1,100 · err 3", Color: purple, Input: true, Output: true, X: 240, Y: 40},
		{ID: "dst", Title: "Folder", Detail: "delivery/logs", Color: green, Input: true, Problem: true, X: 460, Y: 140},
	}, []PipelineLink{{"src", "tr"}}
}

// TestPipelineCanvasDrawsNodesAndLinks: cards with their title, settings and counts, ports, a link as a curve, and
// a red border on the node with a problem.
func TestPipelineCanvasDrawsNodesAndLinks(t *testing.T) {
	test.NewTempApp(t)
	c := NewPipelineCanvas()
	c.SetGraph(threeNodes())
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(700, 260))
	c.Select("tr")
	test.AssertImageMatches(t, "pipelinecanvas.png", w.Canvas().Capture())
}

// TestPipelineCanvasGestures: dragging a node moves it (reported once, at the end), dragging from an output port to
// a node connects them, dragging the background pans, scrolling zooms about the pointer, taps select.
func TestPipelineCanvasGestures(t *testing.T) {
	test.NewTempApp(t)
	c := NewPipelineCanvas()
	c.SetGraph(threeNodes())
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(700, 300))
	var moved []string
	var movedTo fyne.Position
	c.OnMove = func(id string, x, y float32) { moved = append(moved, id); movedTo = fyne.NewPos(x, y) }
	desktopDrag(c, fyne.NewPos(60, 60), fyne.NewPos(90, 110))
	if len(moved) != 1 || moved[0] != "src" || movedTo != fyne.NewPos(50, 90) || c.Selected() != "src" {
		t.Fatalf("moved %v to %v, selected %q", moved, movedTo, c.Selected())
	}

	var from, to string
	c.OnConnect = func(a, b string) { from, to = a, b }
	out, _ := c.PortPosition("tr", true)
	in, _ := c.PortPosition("dst", false)
	desktopDrag(c, out, in.AddXY(20, 0)) // released inside the folder node
	if from != "tr" || to != "dst" {
		t.Fatalf("connected %q to %q", from, to)
	}
	from, to = "", ""
	desktopDrag(c, out, out.AddXY(0, 200)) // released on nothing
	if from != "" {
		t.Fatalf("a drag into the void connected %q to %q", from, to)
	}

	before, _ := c.PortPosition("dst", false)
	desktopDrag(c, fyne.NewPos(650, 20), fyne.NewPos(550, 30))
	after, _ := c.PortPosition("dst", false)
	if after.X-before.X != -100 || after.Y-before.Y != 10 {
		t.Fatalf("panned by %v", after.Subtract(before))
	}

	c.ZoomBy(2, &fyne.Position{X: 0, Y: 0})
	if c.Zoom() != 2 {
		t.Fatalf("zoom %v", c.Zoom())
	}
	c.ZoomBy(100, nil)
	if c.Zoom() != maxZoom {
		t.Fatalf("zoom %v past the limit", c.Zoom())
	}
	c.Fit()
	if z := c.Zoom(); z > 1 || z < minZoom {
		t.Fatalf("fit zoom %v", z)
	}
	for _, id := range []string{"src", "tr", "dst"} {
		p, _ := c.PortPosition(id, false)
		if p.X < 0 || p.Y < 0 || p.X > 700 || p.Y > 300 {
			t.Fatalf("%s outside the view after Fit: %v", id, p)
		}
	}

	var selected string
	c.OnSelect = func(id string) { selected = id }
	in, _ = c.PortPosition("tr", false)
	test.TapAt(c, in.AddXY(20, 0))
	if selected != "tr" {
		t.Fatalf("tap selected %q", selected)
	}
	test.TapAt(c, fyne.NewPos(2, 290))
	if selected != "" || c.Selected() != "" {
		t.Fatalf("tap on the background kept %q", selected)
	}
}

// TestPaletteDropsOnCanvas: a palette item dragged over the canvas shows a ghost and, released there, reports the
// kind and where its node goes; released outside, nothing.
func TestPaletteDropsOnCanvas(t *testing.T) {
	test.NewTempApp(t)
	c := NewPipelineCanvas()
	var kind string
	var at fyne.Position
	c.OnDrop = func(k string, x, y float32) { kind, at = k, fyne.NewPos(x, y) }
	item := NewPaletteItem("filter", "Filter", color.NRGBA{0x94, 0x67, 0xbd, 0xff}, c, PipelineNode{Title: "Filter"}, nil)
	w := test.NewTempWindow(t, container.NewBorder(nil, nil, container.NewVBox(item), nil, c))
	w.Resize(fyne.NewSize(600, 300))
	itemPos := fyne.CurrentApp().Driver().AbsolutePositionForObject(item)
	canvasPos := fyne.CurrentApp().Driver().AbsolutePositionForObject(c)
	target := canvasPos.AddXY(200, 100).Subtract(itemPos) // in the item's coordinates
	desktopDrag(item, fyne.NewPos(5, 5), target)
	if kind != "filter" || at != fyne.NewPos(200-NodeWidth/2, 100-NodeHeight/2) {
		t.Fatalf("dropped %q at %v", kind, at)
	}
	kind = ""
	desktopDrag(item, fyne.NewPos(5, 5), fyne.NewPos(5, 10))
	if kind != "" {
		t.Fatal("a drop on the palette itself added a node")
	}
	c.mu.Lock()
	ghost := c.ghost
	c.mu.Unlock()
	if ghost != nil {
		t.Fatal("the ghost stays after the drop")
	}
}
