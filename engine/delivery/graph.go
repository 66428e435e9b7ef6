package delivery

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Graph is a pipeline as the builder draws it: nodes placed on a canvas and links from an output port to an input
// port. Compile turns it into a Spec when it has the one shape a delivery stream runs — a source, a chain of
// processors (and at most one buffer, last), then one or more destinations — and explains every way it does not.
type Graph struct {
	Name         string
	RetrySeconds *int
	Nodes        []Node
	Links        []Link
}

// Node kinds besides the processor kinds (Transform, …) and the destination kinds (Folder, …).
const (
	NodeSource = "source"
	NodeBuffer = "buffer"
)

// Node roles.
const (
	RoleSource      = "source"
	RoleProcessor   = "processor"
	RoleBuffer      = "buffer"
	RoleDestination = "destination"
)

// Node is one box on the canvas. Only the settings of its kind's role are used.
type Node struct {
	ID          string
	Kind        string
	X, Y        float32
	Source      Source
	Processor   Processor
	Buffer      Buffer
	Destination Destination
}

// Link joins a node's output port to another's input port.
type Link struct {
	From, To string
}

// Problem is why a graph cannot run, on one node (Node is its ID) or on the whole pipeline (Node is empty).
type Problem struct {
	Node    string
	Message string
}

func (p Problem) Error() string { return p.Message }

// Role tells a node kind's place in a pipeline; "" for an unknown kind.
func Role(kind string) string {
	switch kind {
	case NodeSource:
		return RoleSource
	case NodeBuffer:
		return RoleBuffer
	case Transform, Filter, Partition, Convert, Newline, Compress:
		return RoleProcessor
	case Folder, S3, PG, Stream, HTTP:
		return RoleDestination
	}
	return ""
}

// CanConnect reports whether a link may be drawn from one node to another at all; the shape of the whole graph is
// Compile's concern, so that a half-drawn pipeline can still be explained.
func (g Graph) CanConnect(from, to string) error {
	a, b := g.node(from), g.node(to)
	switch {
	case a == nil || b == nil:
		return errors.New("both ends must be nodes")
	case from == to:
		return errors.New("a node cannot feed itself")
	case Role(a.Kind) == RoleDestination:
		return fmt.Errorf("%s is a destination: it has no output", Label(*a))
	case Role(b.Kind) == RoleSource:
		return fmt.Errorf("%s is the source: it has no input", Label(*b))
	case slices.Contains(g.Links, Link{from, to}):
		return errors.New("these two are already connected")
	}
	return nil
}

func (g Graph) node(id string) *Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}

// Label names a node for people: its kind and what tells it apart.
func Label(n Node) string {
	switch n.Kind {
	case NodeSource:
		if n.Source.Stream != "" {
			return "source " + n.Source.Stream
		}
		return "source"
	case Convert:
		if n.Processor.Format != "" {
			return "convert to " + n.Processor.Format
		}
	case Compress:
		if n.Processor.Codec != "" {
			return "compress " + n.Processor.Codec
		}
	case PG:
		return "postgres"
	case S3:
		return "S3"
	case HTTP:
		return "HTTP endpoint"
	case Stream:
		return "stream " + n.Destination.Stream
	}
	return n.Kind
}

// Compile checks the graph's shape and settings. With no problems, spec is runnable and refs maps each of its
// parts (SourceRef, ProcessorRef(i), …) to the node ID it came from.
func (g Graph) Compile() (spec Spec, refs map[string]string, problems []Problem) {
	report := func(node, format string, args ...any) {
		problems = append(problems, Problem{node, fmt.Sprintf(format, args...)})
	}
	ins, outs := map[string][]string{}, map[string][]string{}
	for _, l := range g.Links {
		if g.node(l.From) == nil || g.node(l.To) == nil {
			continue
		}
		outs[l.From] = append(outs[l.From], l.To)
		ins[l.To] = append(ins[l.To], l.From)
	}
	var source *Node
	buffers := 0
	for i := range g.Nodes {
		n := &g.Nodes[i]
		switch Role(n.Kind) {
		case RoleSource:
			if source != nil {
				report(n.ID, "A pipeline reads one source: remove this second one.")
				continue
			}
			source = n
		case RoleBuffer:
			if buffers++; buffers > 1 {
				report(n.ID, "A pipeline has one buffer: remove this second one.")
			}
		case "":
			report(n.ID, "%q is not a node kind.", n.Kind)
		}
	}
	if source == nil {
		report("", "There is no source: drag a Source node onto the canvas.")
	}
	inCycle := map[string]bool{}
	for _, cycle := range g.cycles(outs) {
		names := make([]string, 0, len(cycle)+1)
		for _, id := range cycle {
			names = append(names, Label(*g.node(id)))
			inCycle[id] = true
		}
		names = append(names, names[0])
		for _, id := range cycle {
			report(id, "It is part of a cycle (%s): records would go round forever.", strings.Join(names, " then "))
		}
	}

	refs = map[string]string{}
	spec = Spec{Name: g.Name, RetrySeconds: g.RetrySeconds, Layout: map[string]Point{}}
	reached := map[string]bool{}
	if source != nil {
		spec.Source = source.Source
		refs[SourceRef] = source.ID
		spec.Layout[SourceRef] = Point{source.X, source.Y}
		reached[source.ID] = true
		for cur := source; cur != nil; {
			var steps, dests []string
			for _, to := range outs[cur.ID] {
				if Role(g.node(to).Kind) == RoleDestination {
					dests = append(dests, to)
				} else {
					steps = append(steps, to)
				}
			}
			switch {
			case len(steps)+len(dests) == 0:
				if !inCycle[cur.ID] {
					report(cur.ID, "Its output goes nowhere: drag from its output port to the next step or a destination.")
				}
				cur = nil
			case len(steps) > 1 || (len(steps) == 1 && len(dests) > 0):
				report(cur.ID, "It feeds %d nodes, but only the last step fans out, and only to destinations.", len(steps)+len(dests))
				cur = nil
			case len(steps) == 1:
				next := g.node(steps[0])
				if reached[next.ID] {
					cur = nil // a cycle, reported above
					break
				}
				if Role(cur.Kind) == RoleBuffer {
					report(cur.ID, "The buffer comes last, right before the destinations: move %s ahead of it.", Label(*next))
				}
				reached[next.ID] = true
				if Role(next.Kind) == RoleBuffer {
					spec.Buffer = next.Buffer
					refs[BufferRef] = next.ID
					spec.Layout[BufferRef] = Point{next.X, next.Y}
				} else {
					ref := ProcessorRef(len(spec.Processors))
					spec.Processors = append(spec.Processors, next.Processor)
					spec.Processors[len(spec.Processors)-1].Kind = next.Kind
					refs[ref] = next.ID
					spec.Layout[ref] = Point{next.X, next.Y}
				}
				cur = next
			default:
				for _, id := range dests {
					n := g.node(id)
					reached[id] = true
					ref := DestinationRef(len(spec.Destinations))
					d := n.Destination
					d.Kind = n.Kind
					spec.Destinations = append(spec.Destinations, d)
					refs[ref] = id
					spec.Layout[ref] = Point{n.X, n.Y}
				}
				cur = nil
			}
		}
	}
	for _, n := range g.Nodes {
		if n.ID == "" || Role(n.Kind) == RoleSource || inCycle[n.ID] {
			continue
		}
		switch {
		case len(ins[n.ID]) > 1:
			report(n.ID, "It has %d inputs; a node takes one.", len(ins[n.ID]))
		case len(ins[n.ID]) == 0:
			report(n.ID, "Its input is not connected: drag from the output port of the step before it.")
		case !reached[n.ID] && source != nil:
			report(n.ID, "It is not connected to the source.")
		}
	}
	if source != nil && len(spec.Destinations) == 0 && len(problems) == 0 {
		report("", "There is no destination: connect the last step to a Folder, S3, PostgreSQL, Stream or HTTP node.")
	}
	if len(problems) > 0 {
		return spec, refs, problems
	}
	for _, err := range unjoin(spec.Validate()) {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		problems = append(problems, Problem{refs[specPart(field)], msg + " (" + field + ")"})
	}
	return spec, refs, problems
}

var partPattern = regexp.MustCompile(`^(source|buffer|processors\[\d+\]|destinations\[\d+\])`)

// specPart is the node reference a Validate field belongs to ("processors[2].expr" → "processors[2]").
func specPart(field string) string { return partPattern.FindString(field) }

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// cycles finds the loops of the graph, each once, as node IDs in link order.
func (g Graph) cycles(outs map[string][]string) [][]string {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var found [][]string
	var visit func(id string)
	visit = func(id string) {
		state[id] = onPath
		path = append(path, id)
		for _, to := range outs[id] {
			switch state[to] {
			case unvisited:
				visit(to)
			case onPath:
				start := slices.Index(path, to)
				found = append(found, slices.Clone(path[start:]))
			}
		}
		path = path[:len(path)-1]
		state[id] = done
	}
	for _, n := range g.Nodes {
		if state[n.ID] == unvisited {
			visit(n.ID)
		}
	}
	return found
}

// GraphOf draws a spec: its saved layout where it has one, else source, processors and buffer in reading order,
// layoutPerRow to a row, with the destinations stacked in the slot after the last of them.
func GraphOf(s Spec) Graph {
	g := Graph{Name: s.Name, RetrySeconds: s.RetrySeconds}
	slot := 0
	place := func(ref string, n Node, below int) {
		n.ID = ref
		if p, ok := s.Layout[ref]; ok {
			n.X, n.Y = p.X, p.Y
		} else {
			col, row := slot%layoutPerRow, slot/layoutPerRow
			n.X, n.Y = float32(40+col*layoutColumn), float32(60+row*layoutRow*2+below*layoutRow)
		}
		g.Nodes = append(g.Nodes, n)
	}
	prev := SourceRef
	connect := func(ref string) {
		g.Links = append(g.Links, Link{prev, ref})
		prev = ref
	}
	place(SourceRef, Node{Kind: NodeSource, Source: s.Source}, 0)
	for i, p := range s.Processors {
		slot++
		ref := ProcessorRef(i)
		place(ref, Node{Kind: p.Kind, Processor: p}, 0)
		connect(ref)
	}
	slot++
	place(BufferRef, Node{Kind: NodeBuffer, Buffer: s.Buffer}, 0)
	connect(BufferRef)
	slot++
	for i, d := range s.Destinations {
		ref := DestinationRef(i)
		place(ref, Node{Kind: d.Kind, Destination: d}, i)
		g.Links = append(g.Links, Link{BufferRef, ref})
	}
	return g
}

// Layout spacing of GraphOf, in canvas units.
const (
	layoutColumn = 230
	layoutRow    = 110
	layoutPerRow = 3 // a fitted row of three stays readable in the builder
)

// NewNode is a node of a kind as the palette drops it: with the settings a user most likely wants, so that only
// what is specific (a stream, a path, an expression) is left to fill in.
func NewNode(id, kind string, x, y float32) Node {
	n := Node{ID: id, Kind: kind, X: x, Y: y}
	switch kind {
	case NodeSource:
		n.Source.Start = "TRIM_HORIZON"
	case Transform:
		n.Processor.Expr = "data"
	case Filter:
		n.Processor.Expr = "true"
	case Partition:
		n.Processor.Keys = []PartitionKey{{Name: "key", Expr: "key"}}
	case Convert:
		n.Processor.Format = "csv"
	case Compress:
		n.Processor.Codec = "gzip"
	case NodeBuffer:
		interval := 60
		n.Buffer = Buffer{SizeMiB: defaultSizeMiB, IntervalSeconds: &interval}
	case Folder:
		n.Destination.Path = "delivery/out"
	case S3:
		n.Destination.Endpoint = "http://127.0.0.1:9000"
		n.Destination.PathStyle = true
	case HTTP:
		n.Destination.Format = FormatFirehose
		n.Destination.ErrorFolder = "delivery/errors"
	case Stream, PG:
		n.Destination.ErrorFolder = "delivery/errors"
	}
	return n
}
