package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
	"github.com/shardlab/shardlab/views/widgets"
)

// desktopDrag sends a drag as Fyne's desktop driver does (unlike test.Drag): Position is where the pointer is,
// the first Dragged reaches back to where the button went down. Points are in obj's coordinates.
func desktopDrag(obj fyne.Draggable, from, to fyne.Position) {
	obj.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: to}, Dragged: fyne.NewDelta(to.X-from.X, to.Y-from.Y)})
	obj.DragEnd()
}

func builderEnv(t *testing.T) ui.Env {
	t.Helper()
	env := uitest.NewEnv(t)
	n := 1
	if err := env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "logs", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	mgr, err := delivery.OpenManager(env.Engine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Close)
	env.Deliveries = mgr
	return env
}

func showBuilder(t *testing.T, env ui.Env) (*builderScreen, fyne.Window) {
	t.Helper()
	var win fyne.Window
	var b *builderScreen
	uitest.UI(func() { // callbacks of an earlier test's background work may still be drawing
		win = test.NewTempWindow(t, widget.NewLabel(""))
		b = newBuilderScreen(env, win)
		win.SetContent(b.Content())
		win.Resize(fyne.NewSize(1280, 760))
		b.Start()
	})
	t.Cleanup(func() { uitest.UI(b.Stop) })
	return b, win
}

func abs(o fyne.CanvasObject) fyne.Position {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
}

// entryIn is the first entry of the side panel that match accepts.
func entryIn(t *testing.T, b *builderScreen, match func(*widget.Entry) bool) *widget.Entry {
	t.Helper()
	e, ok := uitest.Find(b.panel, match)
	if !ok {
		t.Fatal("no such entry in the side panel")
	}
	return e
}

// TestBuilderDrawConnectRunAndPreview walks the builder as a user would: drag a Folder from the palette, connect
// the source's output port to it, fill in the source stream and the folder, run, and watch counts and a preview.
func TestBuilderDrawConnectRunAndPreview(t *testing.T) {
	test.NewTempApp(t)
	env := builderEnv(t)
	b, _ := showBuilder(t, env)

	var folder, buffer string
	// drop drags a palette item onto the canvas at (x, y) and returns the new node.
	drop := func(kind string, x, y float32) string {
		item, ok := uitest.Find(b.root, func(p *widgets.PaletteItem) bool { return p.Kind == kind })
		if !ok {
			t.Fatalf("no %s in the palette", kind)
		}
		n := len(b.graph.Nodes)
		desktopDrag(item, fyne.NewPos(10, 10), abs(b.canvas).AddXY(x, y).Subtract(abs(item)))
		if len(b.graph.Nodes) != n+1 || b.graph.Nodes[n].Kind != kind || b.selected != b.graph.Nodes[n].ID {
			t.Fatalf("after the drop: %+v, selected %q", b.graph.Nodes, b.selected)
		}
		return b.selected
	}
	// connect drags from one node's output port into another node.
	connect := func(from, to string) {
		out, _ := b.canvas.PortPosition(from, true)
		in, _ := b.canvas.PortPosition(to, false)
		desktopDrag(b.canvas, out, in.AddXY(30, 0))
	}
	uitest.UI(func() {
		buffer = drop(delivery.NodeBuffer, 330, 120)
		entryIn(t, b, func(e *widget.Entry) bool { return e.Text == "60" }).SetText("0") // flush at once
		folder = drop(delivery.Folder, 620, 120)
		connect("node-1", buffer)
		connect(buffer, folder)
		if len(b.graph.Links) != 2 || b.graph.Links[1] != (delivery.Link{From: buffer, To: folder}) {
			t.Fatalf("links %+v", b.graph.Links)
		}
		if !strings.Contains(b.problemList.Text, "source stream is required") {
			t.Fatalf("problems %q", b.problemList.Text)
		}
		entryIn(t, b, func(e *widget.Entry) bool { return e.Text == "delivery/out" }).SetText(t.TempDir())

		src, _ := b.canvas.PortPosition("node-1", false)
		test.TapAt(b.canvas, src.AddXY(40, 0)) // the source's body, right of its input side
		if b.selected != "node-1" {
			t.Fatalf("tapped the source, selected %q", b.selected)
		}
		stream, ok := uitest.Find(b.panel, func(*widget.SelectEntry) bool { return true })
		if !ok {
			t.Fatal("no stream field")
		}
		test.Type(stream, "logs")
		if b.problemList.Text != "" {
			t.Fatalf("still problems: %q", b.problemList.Text)
		}
		test.Tap(b.runBtn)
	})
	uitest.Eventually(t, "the pipeline running", func() bool {
		return b.saved == "my-pipeline" && b.info != nil && b.info.State == delivery.StateActive
	})
	uitest.PutJSON(t, env.Engine, "logs", 25)
	var s, f widgets.PipelineNode
	uitest.Eventually(t, "counts on the nodes", func() bool {
		s, _ = b.canvas.Node("node-1")
		f, _ = b.canvas.Node(folder)
		return s.Counts == "read 25" && f.Counts == "in 25 · out 25"
	})
	if bn, _ := b.canvas.Node(buffer); bn.Counts != "in 25 · out 25" {
		t.Fatalf("buffer counts %q", bn.Counts)
	}

	uitest.UI(func() { b.selectNode(folder) })
	uitest.Eventually(t, "the preview turned on", func() bool { return b.form.preview != nil })
	for i := 0; ; i++ {
		uitest.PutJSON(t, env.Engine, "logs", 3)
		done := false
		uitest.UI(func() {
			done = strings.Contains(b.form.preview.Text, "\n    \"i\": ") && strings.Contains(b.form.preview.Text, "my-pipeline-1-")
		})
		if done {
			break
		}
		if i > 100 {
			t.Fatalf("no records in the preview: %q", b.form.preview.Text)
		}
		time.Sleep(100 * time.Millisecond) // the preview polls once a second
	}
}

// TestBuilderValidatesAsYouTypeAndUndoes: a filter typed wrong shows its error with a caret at the place, marks
// the node and lists the problem; undo takes the edits back one at a time, redo puts them back, Delete removes.
func TestBuilderValidatesAsYouTypeAndUndoes(t *testing.T) {
	test.NewTempApp(t)
	b, _ := showBuilder(t, builderEnv(t))
	uitest.UI(func() {
		item, _ := uitest.Find(b.root, func(p *widgets.PaletteItem) bool { return p.Kind == delivery.Filter })
		test.Tap(item) // a tap adds the node in the middle of the view
		if len(b.graph.Nodes) != 2 || b.graph.Nodes[1].Kind != delivery.Filter {
			t.Fatalf("nodes %+v", b.graph.Nodes)
		}
		id := b.selected
		expr := entryIn(t, b, func(e *widget.Entry) bool { return e.MultiLine && e.Text == "true" })
		expr.SetText("data.status >= ")
		errLabel, _ := uitest.Find(b.panel, func(l *widget.Label) bool { return strings.Contains(l.Text, "^") })
		if errLabel == nil || !strings.Contains(errLabel.Text, "line 1, column") ||
			!strings.HasSuffix(errLabel.Text, "data.status >= \n              ^") {
			t.Fatalf("error label %q", errLabel.Text)
		}
		expr.SetText("data.status >= 50")
		expr.SetText("data.status >= 500")
		if n, _ := b.canvas.Node(id); !n.Problem || !strings.Contains(b.problemList.Text, "Filter: Its input is not connected") {
			t.Fatalf("node %+v, problems %q", n, b.problemList.Text)
		}
		if !b.runBtn.Disabled() {
			t.Error("Run is enabled on a graph that cannot run")
		}
		if got := nodeByID(&b.graph, id).Processor.Expr; got != "data.status >= 500" {
			t.Fatalf("expr %q", got)
		}

		test.Tap(b.undoBtn) // the typing in one field is one step
		if len(b.graph.Nodes) != 2 || nodeByID(&b.graph, id).Processor.Expr != "true" {
			t.Fatalf("after one undo: %+v", b.graph.Nodes)
		}
		test.Tap(b.undoBtn)
		if len(b.graph.Nodes) != 1 {
			t.Fatalf("after two undos: %+v", b.graph.Nodes)
		}
		test.Tap(b.redoBtn)
		test.Tap(b.redoBtn)
		if len(b.graph.Nodes) != 2 || nodeByID(&b.graph, id).Processor.Expr != "data.status >= 500" {
			t.Fatalf("after redo: %+v", b.graph.Nodes)
		}
		b.selectNode(id)
		b.canvas.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
		if len(b.graph.Nodes) != 1 || b.selected != "" {
			t.Fatalf("after Delete: %+v", b.graph.Nodes)
		}
	})
}

// TestBuilderRefusesToSaveABrokenGraph: Save on a graph with problems stores nothing.
func TestBuilderRefusesToSaveABrokenGraph(t *testing.T) {
	test.NewTempApp(t)
	env := builderEnv(t)
	b, _ := showBuilder(t, env)
	uitest.UI(func() { b.save(true) })
	if got := env.Deliveries.List(); len(got) != 0 || b.saved != "" {
		t.Fatalf("saved %v", got)
	}
}

// TestBuilderSamplePipelineGolden: a sample pipeline opens as drawn, and saving it then opening it again from the
// store gives the same graph.
func TestBuilderSamplePipelineGolden(t *testing.T) {
	test.NewTempApp(t)
	env := builderEnv(t)
	b, win := showBuilder(t, env)
	data, err := samples.FS.ReadFile("pipelines/logs-to-folder.json")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := delivery.DecodeSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	uitest.UI(func() { b.load(delivery.GraphOf(spec), "") })
	uitest.UI(func() { test.AssertImageMatches(t, "builder-logs-to-folder.png", win.Canvas().Capture()) })
	uitest.UI(func() { b.save(false) })
	uitest.Eventually(t, "saved", func() bool { return b.saved == spec.Name })
	stored, err := env.Deliveries.Get(spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Spec.Layout) != len(spec.Processors)+len(spec.Destinations)+2 {
		t.Fatalf("layout %v", stored.Spec.Layout)
	}
	var before delivery.Graph
	uitest.UI(func() {
		before = b.graph
		b.load(delivery.Graph{}, "")
		b.openDelivery(spec.Name)
	})
	uitest.Eventually(t, "the stored pipeline open", func() bool { return b.saved == spec.Name && len(b.graph.Nodes) > 0 })
	uitest.UI(func() {
		for i, n := range b.graph.Nodes {
			if n.X != before.Nodes[i].X || n.Y != before.Nodes[i].Y || n.Kind != before.Nodes[i].Kind {
				t.Fatalf("node %d drawn at %v,%v, was %v,%v", i, n.X, n.Y, before.Nodes[i].X, before.Nodes[i].Y)
			}
		}
	})
}

// TestBuilderSelectsAndDeletesALink: tapping a link while a node is selected selects the link (the bin lights up)
// and Delete removes only it; a node added after one was deleted never takes the deleted one's ID.
func TestBuilderSelectsAndDeletesALink(t *testing.T) {
	test.NewTempApp(t)
	b, _ := showBuilder(t, builderEnv(t))
	data, _ := samples.FS.ReadFile("pipelines/logs-to-folder.json")
	spec, err := delivery.DecodeSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	uitest.UI(func() {
		b.load(delivery.GraphOf(spec), "")
		b.selectNode(delivery.SourceRef)
		out, _ := b.canvas.PortPosition(delivery.SourceRef, true)
		in, _ := b.canvas.PortPosition(delivery.ProcessorRef(0), false)
		test.TapAt(b.canvas, fyne.NewPos((out.X+in.X)/2, (out.Y+in.Y)/2))
		if l, ok := b.canvas.SelectedLink(); !ok || l.From != delivery.SourceRef || b.deleteBtn.Disabled() {
			t.Fatalf("link selected %v, bin disabled %v", ok, b.deleteBtn.Disabled())
		}
		links, nodes := len(b.graph.Links), len(b.graph.Nodes)
		b.canvas.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
		if len(b.graph.Links) != links-1 || len(b.graph.Nodes) != nodes {
			t.Fatalf("after Delete: %d links, %d nodes", len(b.graph.Links), len(b.graph.Nodes))
		}

		b.addNode(delivery.Filter, 0, 300)
		first := b.selected
		b.deleteSelected()
		b.addNode(delivery.Filter, 0, 300)
		if b.selected == first {
			t.Fatalf("a new node took the deleted node's ID %q", first)
		}
	})
}
