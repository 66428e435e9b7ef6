package delivery

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// builderScreen is the pipeline builder: a palette of node types, a canvas to draw a delivery pipeline on, and a
// side panel that edits the selected node with validation as you type. A graph runs once it has the shape a
// delivery stream has; until then the problems are listed and marked on their nodes. Save stores it as a delivery
// stream (the one it was opened from, or a new one), Run saves and starts it, and the nodes then show live counts
// and, when selected, the latest records before and after them.
type builderScreen struct {
	env ui.Env
	win fyne.Window

	graph     delivery.Graph
	saved     string                 // the delivery stream this graph is saved as; "" until saved
	savedName atomic.Pointer[string] // saved, for the poller's goroutine
	savedRefs map[string]string      // node ID → spec part, as saved: what the live counts are looked up by
	problems  []delivery.Problem
	// fieldErrors are texts typed in the side panel that do not read as a value (by node ID and field).
	fieldErrors map[string]fieldProblem
	undo, redo  []delivery.Graph
	lastEdit    string // what the last edit changed: typing in one field is one undo step
	nodeSeq     int    // numbers new nodes' IDs
	generation  int    // counts loads: a save finishing after another pipeline was opened must not mark that one saved
	saving      bool   // a save is under way: Save and Run wait for it
	started     bool   // the screen is shown: previews may poll
	info        *delivery.Info
	selected    string
	onDelivery  func() // after a save, so the delivery list shows it at once

	canvas      *widgets.PipelineCanvas
	drawnNodes  []widgets.PipelineNode
	drawnLinks  []widgets.PipelineLink
	panel       *fyne.Container
	problemList *widget.Label
	state       *widget.Label
	undoBtn     *widget.Button
	redoBtn     *widget.Button
	runBtn      *widget.Button
	saveBtn     *widget.Button
	stopBtn     *widget.Button
	deleteBtn   *widget.Button
	form        *nodeForm
	stopPoll    func()
	shortcuts   []fyne.Shortcut
	root        fyne.CanvasObject
}

func newBuilderScreen(env ui.Env, win fyne.Window) *builderScreen {
	b := &builderScreen{env: env, win: win, canvas: widgets.NewPipelineCanvas(), panel: container.NewVBox(),
		problemList: widget.NewLabel(""), state: widget.NewLabel(""), fieldErrors: map[string]fieldProblem{}}
	b.problemList.Wrapping = fyne.TextWrapWord
	b.problemList.Importance = widget.DangerImportance
	b.canvas.OnSelect = b.selectNode
	b.canvas.OnSelectLink = func(widgets.PipelineLink) {
		b.selected = "" // the canvas keeps the link selected: the panel shows the pipeline's settings
		b.lastEdit = ""
		b.rebuildPanel()
		b.render()
	}
	b.canvas.OnMove = func(id string, x, y float32) {
		b.edit("", func(g *delivery.Graph) {
			if n := nodeByID(g, id); n != nil {
				n.X, n.Y = x, y
			}
		})
	}
	b.canvas.OnConnect = b.connect
	b.canvas.OnDrop = b.addNode
	b.canvas.OnDelete = b.deleteSelected

	paletteBox := container.NewVBox()
	for _, group := range palette {
		paletteBox.Add(widget.NewLabelWithStyle(group.group, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, e := range group.entries {
			ghost := nodeView(delivery.NewNode("", e.kind, 0, 0), false, "")
			paletteBox.Add(widgets.NewPaletteItem(e.kind, e.title, roleColors[delivery.Role(e.kind)], b.canvas, ghost, func() {
				c := b.canvas.ViewCenter()
				b.addNode(e.kind, c.X-widgets.NodeWidth/2, c.Y-widgets.NodeHeight/2)
			}))
		}
	}
	paletteHelp := widget.NewLabel("Drag onto the canvas, or tap.")
	paletteHelp.Wrapping = fyne.TextWrapWord
	paletteHelp.Importance = widget.LowImportance
	left := container.NewBorder(nil, nil, nil, nil, container.NewVScroll(container.NewVBox(paletteBox, paletteHelp)))

	b.undoBtn = widget.NewButtonWithIcon("", theme.ContentUndoIcon(), b.undoEdit)
	b.redoBtn = widget.NewButtonWithIcon("", theme.ContentRedoIcon(), b.redoEdit)
	b.deleteBtn = widget.NewButtonWithIcon("", theme.DeleteIcon(), b.deleteSelected)
	b.runBtn = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), func() { b.save(true) })
	b.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { b.save(false) })
	b.runBtn.Importance = widget.HighImportance
	b.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), b.stopRunning)
	toolbar := container.NewHBox(
		widget.NewButtonWithIcon("New", theme.DocumentCreateIcon(), b.newGraph),
		widget.NewButtonWithIcon("Open…", theme.FolderOpenIcon(), b.open),
		b.saveBtn, b.runBtn, b.stopBtn,
		widget.NewButtonWithIcon("Export…", theme.DownloadIcon(), b.exportGraph),
		widget.NewSeparator(), b.undoBtn, b.redoBtn, b.deleteBtn,
		widget.NewSeparator(),
		widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { b.canvas.ZoomBy(1/1.25, nil) }),
		widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { b.canvas.ZoomBy(1.25, nil) }),
		widget.NewButtonWithIcon("", theme.ZoomFitIcon(), b.canvas.Fit),
	)
	side := container.NewVScroll(container.NewPadded(container.NewVBox(b.panel, widget.NewSeparator(), b.problemList)))
	center := container.NewBorder(nil, b.state, nil, nil, container.NewScroll(b.canvas))
	split := ui.Remember("builder", container.NewHSplit(center, side), 0.68)
	b.root = container.NewBorder(toolbar, nil, left, nil, split)
	b.shortcuts = []fyne.Shortcut{
		&fyne.ShortcutUndo{}, &fyne.ShortcutRedo{},
	}
	b.newGraph()
	return b
}

func (b *builderScreen) Content() fyne.CanvasObject { return b.root }

// Start polls the saved delivery stream's state and counts, and takes the undo and redo shortcuts.
func (b *builderScreen) Start() {
	b.started = true
	if b.form != nil {
		b.form.resumePreview()
	}
	b.win.Canvas().AddShortcut(&fyne.ShortcutUndo{}, func(fyne.Shortcut) { b.undoEdit() })
	b.win.Canvas().AddShortcut(&fyne.ShortcutRedo{}, func(fyne.Shortcut) { b.redoEdit() })
	b.stopPoll = ui.Poll(time.Second, b.fetchInfo, b.showInfo)
}

func (b *builderScreen) Stop() {
	b.started = false
	for _, s := range b.shortcuts {
		b.win.Canvas().RemoveShortcut(s)
	}
	if b.stopPoll != nil {
		b.stopPoll()
	}
	if b.form != nil {
		b.form.stopPreview()
	}
}

type fieldProblem struct{ node, message string }

// builderInfo is what the poll fetches off the UI goroutine.
type builderInfo struct {
	name string
	info *delivery.Info
}

func (b *builderScreen) fetchInfo() builderInfo {
	name := ""
	if p := b.savedName.Load(); p != nil {
		name = *p
	}
	if name == "" {
		return builderInfo{}
	}
	info, err := b.env.Deliveries.Get(name)
	if err != nil {
		return builderInfo{name: name}
	}
	return builderInfo{name: name, info: &info}
}

// setSaved records which delivery stream the graph is saved as, for the UI and for the poller.
func (b *builderScreen) setSaved(name string, refs map[string]string) {
	b.saved, b.savedRefs = name, invert(refs)
	b.savedName.Store(&name)
}

func (b *builderScreen) showInfo(f builderInfo) {
	if f.name != b.saved {
		return
	}
	b.info = f.info
	b.render()
}

func nodeByID(g *delivery.Graph, id string) *delivery.Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}

// edit changes the graph as one undoable step; successive edits with the same non-empty key (typing in one field)
// are one step.
func (b *builderScreen) edit(key string, change func(*delivery.Graph)) {
	if key == "" || key != b.lastEdit {
		b.undo = append(b.undo, cloneGraph(b.graph))
		if len(b.undo) > 200 {
			b.undo = b.undo[1:]
		}
		b.redo = nil
	}
	b.lastEdit = key
	change(&b.graph)
	b.render()
}

// cloneGraph copies what edits change in place: the node and link lists. Settings' own lists (keys, columns) are
// only ever replaced whole by the forms, so sharing them is safe.
func cloneGraph(g delivery.Graph) delivery.Graph {
	g.Nodes, g.Links = slices.Clone(g.Nodes), slices.Clone(g.Links)
	return g
}

func (b *builderScreen) undoEdit() { b.travel(&b.undo, &b.redo) }
func (b *builderScreen) redoEdit() { b.travel(&b.redo, &b.undo) }

func (b *builderScreen) travel(from, to *[]delivery.Graph) {
	if len(*from) == 0 {
		return
	}
	*to = append(*to, cloneGraph(b.graph))
	b.graph = (*from)[len(*from)-1]
	*from = (*from)[:len(*from)-1]
	b.lastEdit = ""
	if nodeByID(&b.graph, b.selected) == nil {
		b.selected = ""
	}
	b.render()
	b.showPanel()
}

// render compiles the graph and redraws it: problems marked on their nodes and listed, counts on every node of a
// running pipeline.
func (b *builderScreen) render() {
	_, _, b.problems = b.graph.Compile()
	for _, key := range slices.Sorted(maps.Keys(b.fieldErrors)) {
		fp := b.fieldErrors[key]
		b.problems = append(b.problems, delivery.Problem{Node: fp.node, Message: fp.message})
	}
	bad := map[string]bool{}
	var lines []string
	for _, p := range b.problems {
		bad[p.Node] = true
		where := "Pipeline"
		if n := nodeByID(&b.graph, p.Node); n != nil {
			where = kindTitle(n.Kind)
		}
		lines = append(lines, "• "+where+": "+p.Message)
	}
	running := b.info != nil && b.info.State == delivery.StateActive
	nodes := make([]widgets.PipelineNode, 0, len(b.graph.Nodes))
	for _, n := range b.graph.Nodes {
		counts := ""
		if ref, ok := b.savedRefs[n.ID]; ok && b.info != nil && running {
			counts = nodeCounts(b.info.Metrics, ref)
		}
		nodes = append(nodes, nodeView(n, bad[n.ID], counts))
	}
	links := make([]widgets.PipelineLink, 0, len(b.graph.Links))
	for _, l := range b.graph.Links {
		links = append(links, widgets.PipelineLink{From: l.From, To: l.To})
	}
	if !slices.Equal(nodes, b.drawnNodes) || !slices.Equal(links, b.drawnLinks) { // an idle builder repaints nothing
		b.drawnNodes, b.drawnLinks = nodes, links
		b.canvas.SetGraph(nodes, links)
	}
	if len(lines) == 0 {
		ui.SetText(b.problemList, "")
	} else {
		ui.SetText(b.problemList, "Cannot run yet:\n"+strings.Join(lines, "\n"))
	}
	// Run is offered only for a graph that can run; the list above says what is missing.
	ui.SetEnabled(b.runBtn, len(b.problems) == 0 && !b.saving)
	b.showState(running)
}

func (b *builderScreen) showState(running bool) {
	var s string
	switch {
	case b.saved == "":
		s = "Not saved yet."
	case b.info == nil:
		s = b.saved + " is no longer stored; Save creates it again."
	default:
		s = fmt.Sprintf("%s: %s", b.saved, b.info.State)
		if b.info.Error != "" {
			s += " (" + b.info.Error + ")"
		}
		if running {
			m := b.info.Metrics
			s += fmt.Sprintf("; read %s, delivered %s in %s objects", ui.Thousands(int64(m.Incoming)),
				ui.Thousands(int64(m.Delivered)), ui.Thousands(int64(m.Objects)))
			if m.LastError != "" {
				s += "; last error: " + m.LastError
			}
		}
	}
	ui.SetText(b.state, s)
	ui.SetEnabled(b.undoBtn, len(b.undo) > 0)
	ui.SetEnabled(b.redoBtn, len(b.redo) > 0)
	ui.SetEnabled(b.stopBtn, running)
	_, linkSelected := b.canvas.SelectedLink()
	ui.SetEnabled(b.deleteBtn, b.selected != "" || linkSelected)
}

func (b *builderScreen) selectNode(id string) {
	if id == b.selected && b.form != nil {
		return
	}
	b.selected = id
	b.lastEdit = ""
	b.showPanel()
	b.render()
}

// showPanel builds the side panel for the selected node (or the pipeline's settings) and marks it on the canvas.
func (b *builderScreen) showPanel() {
	b.rebuildPanel()
	b.canvas.Select(b.selected)
}

func (b *builderScreen) rebuildPanel() {
	if b.form != nil {
		b.form.stopPreview()
	}
	clear(b.fieldErrors) // the new form shows the graph's values, which read
	b.form = newNodeForm(b, b.selected)
	b.panel.Objects = []fyne.CanvasObject{b.form.content}
	b.panel.Refresh()
}

func (b *builderScreen) addNode(kind string, x, y float32) {
	id := b.newNodeID()
	b.edit("", func(g *delivery.Graph) { g.Nodes = append(g.Nodes, delivery.NewNode(id, kind, x, y)) })
	b.selected = id
	b.showPanel()
	b.render()
}

// newNodeID is an ID no node has had since the builder opened: a new node must never take a deleted one's ID, or
// it would show that node's live counts.
func (b *builderScreen) newNodeID() string {
	for {
		b.nodeSeq++
		id := fmt.Sprintf("node-%d", b.nodeSeq)
		if nodeByID(&b.graph, id) == nil && b.savedRefs[id] == "" {
			return id
		}
	}
}

func (b *builderScreen) connect(from, to string) {
	if err := b.graph.CanConnect(from, to); err != nil {
		ui.SetText(b.state, "Not connected: "+err.Error()+".")
		return
	}
	b.edit("", func(g *delivery.Graph) { g.Links = append(g.Links, delivery.Link{From: from, To: to}) })
}

// deleteSelected removes the selected link, or the selected node with its links.
func (b *builderScreen) deleteSelected() {
	if l, ok := b.canvas.SelectedLink(); ok {
		b.edit("", func(g *delivery.Graph) {
			g.Links = slices.DeleteFunc(g.Links, func(x delivery.Link) bool { return x.From == l.From && x.To == l.To })
		})
		return
	}
	id := b.selected
	if id == "" {
		return
	}
	b.edit("", func(g *delivery.Graph) {
		g.Nodes = slices.DeleteFunc(g.Nodes, func(n delivery.Node) bool { return n.ID == id })
		g.Links = slices.DeleteFunc(g.Links, func(l delivery.Link) bool { return l.From == id || l.To == id })
	})
	b.selected = ""
	b.showPanel()
}

// newGraph starts an empty pipeline with a source, as every pipeline has one.
func (b *builderScreen) newGraph() {
	b.load(delivery.Graph{Name: "my-pipeline", Nodes: []delivery.Node{delivery.NewNode("node-1", delivery.NodeSource, 40, 60)}}, "")
}

// load shows a graph, saved as the delivery stream saved ("" for a new one), with a fresh undo history.
func (b *builderScreen) load(g delivery.Graph, saved string) {
	b.graph, b.info = g, nil
	b.generation++
	_, refs, _ := g.Compile()
	b.setSaved(saved, refs)
	b.undo, b.redo, b.lastEdit, b.selected = nil, nil, "", ""
	b.showPanel()
	b.render()
	b.canvas.Fit()
}

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// openDelivery loads a stored delivery stream into the builder; the manager is asked off the UI goroutine, as it
// may be busy writing.
func (b *builderScreen) openDelivery(name string) {
	ui.Background(func() (delivery.Info, error) { return b.env.Deliveries.Get(name) }, func(info delivery.Info, err error) {
		if err != nil {
			ui.ShowError("Open pipeline", err, b.win)
			return
		}
		b.load(delivery.GraphOf(info.Spec), name)
		b.info = &info
		b.render()
	})
}

// save stores the graph as a delivery stream — a new one, or the one it was opened as — and with run starts it.
// A graph with problems is not saved: the problems say why.
func (b *builderScreen) save(run bool) {
	spec, refs, _ := b.graph.Compile()
	b.render()
	if problems := b.problems; len(problems) > 0 {
		var lines []string
		for _, p := range problems {
			lines = append(lines, "• "+p.Message)
		}
		dialog.ShowInformation("Not saved", "The pipeline cannot run yet:\n"+strings.Join(lines, "\n"), b.win)
		return
	}
	if b.saving {
		return
	}
	b.saving = true
	ui.SetEnabled(b.saveBtn, false)
	ui.SetEnabled(b.runBtn, false)
	previous, generation := b.saved, b.generation
	ui.Background(func() (bool, error) {
		var err error
		if previous == spec.Name {
			err = b.env.Deliveries.Update(spec)
		}
		if previous != spec.Name || errors.Is(err, delivery.ErrNotFound) { // new, or deleted meanwhile
			err = b.env.Deliveries.Create(spec, false)
		}
		if err != nil {
			return false, err
		}
		if run {
			err = b.env.Deliveries.Start(spec.Name)
		}
		return true, err
	}, func(saved bool, err error) {
		b.saving = false
		ui.SetEnabled(b.saveBtn, true)
		ui.SetEnabled(b.runBtn, true)
		if errors.Is(err, delivery.ErrExists) {
			err = fmt.Errorf("%w; open it to change it, or give this pipeline another name", err)
		}
		if saved && generation == b.generation {
			b.setSaved(spec.Name, refs)
			b.showPanel() // with the live preview, now that there is a delivery stream to watch
		}
		if saved && b.onDelivery != nil {
			b.onDelivery()
		}
		if err != nil {
			ui.ShowError("Save pipeline", err, b.win)
		}
		b.render()
	})
}

func (b *builderScreen) stopRunning() {
	name := b.saved
	ui.Background(func() (struct{}, error) { return struct{}{}, b.env.Deliveries.Stop(name) }, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError("Stop "+name, err, b.win)
		}
	})
}

// open offers the stored delivery streams and the sample pipelines.
func (b *builderScreen) open() {
	ui.Background(func() ([]delivery.Info, error) { return b.env.Deliveries.List(), nil },
		func(infos []delivery.Info, _ error) { b.showOpenDialog(infos) })
}

func (b *builderScreen) showOpenDialog(infos []delivery.Info) {
	var names []string
	for _, info := range infos {
		names = append(names, info.Spec.Name)
	}
	stored := widget.NewSelect(names, nil)
	stored.PlaceHolder = "(none stored)"
	if len(names) > 0 {
		stored.PlaceHolder = "Choose a delivery stream"
	}
	var d dialog.Dialog
	fromFile := widget.NewButtonWithIcon("Import a JSON file…", theme.FileIcon(), func() {
		d.Hide()
		b.importFile()
	})
	d = dialog.NewCustomConfirm("Open pipeline", "Open", "Cancel", container.NewVBox(
		widget.NewLabel("A stored delivery stream:"), stored, widget.NewSeparator(),
		widget.NewLabel("Or a pipeline file (the samples are in <data>/samples/pipelines):"), fromFile),
		func(ok bool) {
			if ok && stored.Selected != "" {
				b.openDelivery(stored.Selected)
			}
		}, b.win)
	d.Show()
}
