package delivery

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// paletteEntry is a node type the builder offers.
type paletteEntry struct {
	kind, title string
}

// palette is the builder's node types, by role, in the order a pipeline runs.
var palette = []struct {
	group   string
	entries []paletteEntry
}{
	{"Source", []paletteEntry{{delivery.NodeSource, "Stream source"}}},
	{"Processors", []paletteEntry{{delivery.Transform, "Transform"}, {delivery.Filter, "Filter"},
		{delivery.Partition, "Partition keys"}, {delivery.Convert, "Convert format"}, {delivery.Newline, "Newline"},
		{delivery.Compress, "Compress"}}},
	{"Buffer", []paletteEntry{{delivery.NodeBuffer, "Buffer"}}},
	{"Destinations", []paletteEntry{{delivery.Folder, "Folder"}, {delivery.S3, "S3 bucket"},
		{delivery.PG, "PostgreSQL"}, {delivery.Stream, "Stream"}, {delivery.HTTP, "HTTP endpoint"}}},
}

func kindTitle(kind string) string {
	for _, g := range palette {
		for _, e := range g.entries {
			if e.kind == kind {
				return e.title
			}
		}
	}
	return kind
}

// roleColors tell the roles apart on the canvas and in the palette.
var roleColors = map[string]color.NRGBA{
	delivery.RoleSource:      {0x1f, 0x77, 0xb4, 0xff},
	delivery.RoleProcessor:   {0x94, 0x67, 0xbd, 0xff},
	delivery.RoleBuffer:      {0xff, 0x7f, 0x0e, 0xff},
	delivery.RoleDestination: {0x2c, 0xa0, 0x2c, 0xff},
}

// nodeView is how the canvas draws a node: its settings in a line, and its live counts when the pipeline runs.
func nodeView(n delivery.Node, problem bool, counts string) widgets.PipelineNode {
	role := delivery.Role(n.Kind)
	return widgets.PipelineNode{ID: n.ID, Title: kindTitle(n.Kind), Detail: nodeDetail(n), Counts: counts,
		Color: roleColors[role], Input: role != delivery.RoleSource && role != "",
		Output: role != delivery.RoleDestination && role != "", Problem: problem, X: n.X, Y: n.Y}
}

func nodeDetail(n delivery.Node) string {
	p, d := n.Processor, n.Destination
	switch n.Kind {
	case delivery.NodeSource:
		if n.Source.Stream == "" {
			return "no stream chosen"
		}
		start := n.Source.Start
		if start == "" {
			start = "LATEST"
		}
		return n.Source.Stream + " from " + start
	case delivery.Transform, delivery.Filter:
		return oneLine(p.Expr)
	case delivery.Partition:
		var names []string
		for _, k := range p.Keys {
			names = append(names, k.Name)
		}
		return "keys " + strings.Join(names, ", ")
	case delivery.Convert:
		return "JSON to " + strings.ToUpper(p.Format)
	case delivery.Newline:
		return `"\n" after each record`
	case delivery.Compress:
		return p.Codec
	case delivery.NodeBuffer:
		size, interval := 5, 300
		if n.Buffer.SizeMiB != 0 {
			size = n.Buffer.SizeMiB
		}
		if n.Buffer.IntervalSeconds != nil {
			interval = *n.Buffer.IntervalSeconds
		}
		return fmt.Sprintf("%d MiB or %d s", size, interval)
	case delivery.Folder:
		return d.Path
	case delivery.S3:
		return "s3://" + d.Bucket
	case delivery.PG:
		return "table " + d.Table
	case delivery.Stream:
		return d.Stream
	case delivery.HTTP:
		return d.URL
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// nodeCounts is a node's line of live counts from a running delivery stream's metrics; ref is its part of the spec.
func nodeCounts(m delivery.Metrics, ref string) string {
	var i int
	switch {
	case ref == delivery.SourceRef:
		return "read " + ui.Thousands(int64(m.Incoming))
	case ref == delivery.BufferRef: // what it holds is in − out
		return fmt.Sprintf("in %s · out %s", ui.Thousands(int64(m.Buffered)), ui.Thousands(int64(m.Delivered)))
	case scanRef(ref, "processors[%d]", &i) && i < len(m.Processors):
		s := m.Processors[i]
		return stageCounts(s)
	case scanRef(ref, "destinations[%d]", &i) && i < len(m.Destinations):
		return stageCounts(m.Destinations[i])
	}
	return "in 0 · out 0"
}

func stageCounts(s delivery.StageMetrics) string {
	line := fmt.Sprintf("in %s · out %s", ui.Thousands(int64(s.In)), ui.Thousands(int64(s.Out)))
	if s.Failed > 0 {
		line += " · err " + ui.Thousands(int64(s.Failed))
	}
	return line
}

func scanRef(ref, format string, i *int) bool {
	_, err := fmt.Sscanf(ref, format, i)
	return err == nil
}
