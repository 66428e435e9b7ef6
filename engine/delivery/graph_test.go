package delivery

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/samples"
)

// TestGraphOfSamplesCompilesBack: every sample pipeline drawn as a graph compiles back to the same spec, with a
// layout for each of its parts.
func TestGraphOfSamplesCompilesBack(t *testing.T) {
	names, _ := fs.Glob(samples.FS, "pipelines/*.json")
	for _, name := range names {
		b, _ := samples.FS.ReadFile(name)
		spec, err := ParseSpec(b)
		if err != nil {
			t.Fatal(err)
		}
		got, refs, problems := GraphOf(spec).Compile()
		if len(problems) > 0 {
			t.Fatalf("%s: %v", name, problems)
		}
		if len(got.Layout) != len(spec.Processors)+len(spec.Destinations)+2 || len(refs) != len(got.Layout) {
			t.Fatalf("%s: layout %v refs %v", name, got.Layout, refs)
		}
		got.Layout, spec.Layout = nil, nil
		if !reflect.DeepEqual(got, spec) {
			t.Fatalf("%s:\n got %+v\nwant %+v", name, got, spec)
		}
	}
}

// TestGraphLayoutSurvivesExport: positions moved in the builder come back when the exported JSON is read again.
func TestGraphLayoutSurvivesExport(t *testing.T) {
	g := chain(NodeSource, Transform, Folder)
	g.Nodes[1].X, g.Nodes[1].Y = 333, 222
	spec, _, problems := g.Compile()
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	back, err := ParseSpec(spec.MarshalIndent())
	if err != nil {
		t.Fatal(err)
	}
	drawn := GraphOf(back)
	if n := drawn.node(ProcessorRef(0)); n == nil || n.X != 333 || n.Y != 222 {
		t.Fatalf("transform drawn at %+v", n)
	}
}

// chain is a graph of new nodes of the kinds, each linked to the next; IDs are n0, n1, ….
func chain(kinds ...string) Graph {
	g := Graph{Name: "g"}
	for i, k := range kinds {
		n := NewNode("n"+string(rune('0'+i)), k, float32(i*100), 0)
		n.Source.Stream = "in"
		g.Nodes = append(g.Nodes, n)
		if i > 0 {
			g.Links = append(g.Links, Link{g.Nodes[i-1].ID, n.ID})
		}
	}
	return g
}

func TestGraphProblems(t *testing.T) {
	cases := []struct {
		name  string
		graph func() Graph
		node  string // the node the problem is on ("" the pipeline)
		want  string
	}{
		{"no source", func() Graph { return chain(Transform, Folder) }, "", "no source"},
		{"no destination", func() Graph { return chain(NodeSource, Transform) }, "n1", "output goes nowhere"},
		{"dangling input", func() Graph {
			g := chain(NodeSource, Folder)
			g.Nodes = append(g.Nodes, NewNode("x", Filter, 0, 0))
			return g
		}, "x", "input is not connected"},
		{"cycle", func() Graph {
			g := chain(NodeSource, Transform, Filter, Folder)
			g.Links = append(g.Links, Link{"n2", "n1"})
			return g
		}, "n1", "cycle (transform then filter then transform)"},
		{"processor fans out", func() Graph {
			g := chain(NodeSource, Transform, Folder)
			g.Nodes = append(g.Nodes, NewNode("x", Filter, 0, 0))
			g.Links = append(g.Links, Link{"n0", "x"})
			return g
		}, "n0", "only the last step fans out"},
		{"two inputs", func() Graph {
			g := chain(NodeSource, Transform, Folder)
			g.Nodes = append(g.Nodes, NewNode("x", Filter, 0, 0))
			g.Links = append(g.Links, Link{"x", "n2"})
			return g
		}, "n2", "2 inputs"},
		{"buffer not last", func() Graph { return chain(NodeSource, NodeBuffer, Transform, Folder) }, "n1", "buffer comes last"},
		{"two sources", func() Graph {
			g := chain(NodeSource, Folder)
			g.Nodes = append(g.Nodes, NewNode("x", NodeSource, 0, 0))
			return g
		}, "x", "one source"},
		{"bad expression", func() Graph {
			g := chain(NodeSource, Filter, Folder)
			g.Nodes[1].Processor.Expr = "data.status >= "
			return g
		}, "n1", "Line 1, column"},
		{"missing path", func() Graph {
			g := chain(NodeSource, Folder)
			g.Nodes[1].Destination.Path = ""
			return g
		}, "n1", "needs a path (destinations[0].path)"},
		{"no stream", func() Graph {
			g := chain(NodeSource, Folder)
			g.Nodes[0].Source.Stream = ""
			return g
		}, "n0", "source stream is required"},
		{"bad name", func() Graph {
			g := chain(NodeSource, Folder)
			g.Name = "a b"
			return g
		}, "", "(name)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, problems := c.graph().Compile()
			for _, p := range problems {
				if p.Node == c.node && strings.Contains(p.Message, c.want) {
					return
				}
			}
			t.Fatalf("want %q on %q, got %+v", c.want, c.node, problems)
		})
	}
}

func TestGraphCanConnect(t *testing.T) {
	g := chain(NodeSource, Transform, Folder)
	for _, c := range []struct {
		from, to, want string
	}{
		{"n1", "n0", "source"},
		{"n2", "n1", "destination"},
		{"n1", "n1", "itself"},
		{"n0", "n1", "already connected"},
		{"n0", "n9", "nodes"},
	} {
		if err := g.CanConnect(c.from, c.to); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s to %s: %v, want %q", c.from, c.to, err, c.want)
		}
	}
	if err := g.CanConnect("n0", "n2"); err != nil {
		t.Fatal(err)
	}
}

// TestGraphNewNodesCompile: a pipeline of every processor the palette offers, with its default settings, runs as
// soon as the source names a stream.
func TestGraphNewNodesCompile(t *testing.T) {
	g := chain(NodeSource, Transform, Filter, Partition, Convert, Newline, Compress, NodeBuffer, Folder)
	if _, _, problems := g.Compile(); len(problems) > 0 {
		t.Fatal(problems)
	}
}
