package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/views/ui"
)

// nodeForm is the side panel for one node (or, with no node, for the pipeline): each field writes through to the
// graph as it is typed, and what is wrong shows under the field and on the canvas at once.
type nodeForm struct {
	b        *builderScreen
	id       string
	content  fyne.CanvasObject
	problems *widget.Label
	preview  *widget.Label
	stopPoll func()
	// previewName and previewRef are the delivery stream and node the preview watches.
	previewName, previewRef string
}

func newNodeForm(b *builderScreen, id string) *nodeForm {
	f := &nodeForm{b: b, id: id, problems: widget.NewLabel("")}
	f.problems.Wrapping = fyne.TextWrapWord
	f.problems.Importance = widget.DangerImportance
	f.problems.Hide()
	n := nodeByID(&b.graph, id)
	if n == nil {
		f.content = f.pipelineForm()
		return f
	}
	box := container.NewVBox(ui.Heading(kindTitle(n.Kind)))
	for _, o := range f.fields(*n) {
		box.Add(o)
	}
	box.Add(f.problems)
	f.showProblems()
	if ref, ok := b.savedRefs[id]; ok && b.saved != "" && n.Kind != delivery.NodeBuffer { // a buffer changes no record
		f.preview = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		f.preview.Wrapping = fyne.TextWrapWord
		box.Add(widget.NewSeparator())
		box.Add(widget.NewLabelWithStyle("Live preview", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		box.Add(f.preview)
		f.previewName, f.previewRef = b.saved, ref
		ui.SetText(f.preview, "Run the pipeline to see the latest records through this node.")
		f.resumePreview()
	}
	f.content = box
	return f
}

// pipelineForm edits what belongs to the whole pipeline: its name and retry duration.
func (f *nodeForm) pipelineForm() fyne.CanvasObject {
	g := f.b.graph
	name := widget.NewEntry()
	name.SetText(g.Name)
	nameErr := hint("")
	name.OnChanged = func(s string) {
		f.set("name", func(g *delivery.Graph) { g.Name = s })
		if delivery.ValidName(s) {
			setHint(nameErr, "")
		} else {
			setHint(nameErr, "1–64 letters, digits, '_', '.' or '-'")
		}
	}
	retry := widget.NewEntry()
	retry.SetPlaceHolder("300")
	if g.RetrySeconds != nil {
		retry.SetText(strconv.Itoa(*g.RetrySeconds))
	}
	retryErr := hint("")
	retry.OnChanged = func(s string) {
		v, err := optionalInt(s, 0, 7200)
		showFieldError(retryErr, err)
		f.fieldError("retry", err)
		f.set("retry", func(g *delivery.Graph) { g.RetrySeconds = v })
	}
	help := widget.NewLabel("Drag node types from the palette, then drag from a node's output port (right) to the " +
		"next node to connect them: a source, processors in order, at most one buffer, then destinations. Select a " +
		"node to edit it; Delete removes it. Save stores the pipeline as a delivery stream; Run saves and starts it.")
	help.Wrapping = fyne.TextWrapWord
	return container.NewVBox(ui.Heading("Pipeline"), field("Name", name), nameErr,
		field("Retry failing destinations for (s)", retry), retryErr, help)
}

// set changes the graph as the user types: one undo step per field.
func (f *nodeForm) set(key string, change func(*delivery.Graph)) {
	f.b.edit(f.id+"/"+key, change)
	f.showProblems()
}

// fieldError records (or, with nil, clears) a field's text that does not read as a value, which the graph cannot
// hold: it stops the pipeline from being saved until fixed.
func (f *nodeForm) fieldError(key string, err error) {
	k := f.id + "/" + key
	if err == nil {
		delete(f.b.fieldErrors, k)
		return
	}
	f.b.fieldErrors[k] = fieldProblem{node: f.id, message: err.Error()}
}

func lineProblems(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// setNode changes this form's node.
func (f *nodeForm) setNode(key string, change func(*delivery.Node)) {
	f.set(key, func(g *delivery.Graph) {
		if n := nodeByID(g, f.id); n != nil {
			change(n)
		}
	})
}

func (f *nodeForm) showProblems() {
	var lines []string
	for _, p := range f.b.problems {
		if p.Node == f.id {
			lines = append(lines, p.Message)
		}
	}
	setHint(f.problems, strings.Join(lines, "\n"))
}

// fields are the settings of a node's kind.
func (f *nodeForm) fields(n delivery.Node) []fyne.CanvasObject {
	p, d := n.Processor, n.Destination
	text := func(key, label, value, placeholder string, apply func(*delivery.Node, string)) fyne.CanvasObject {
		e := widget.NewEntry()
		e.SetText(value)
		e.SetPlaceHolder(placeholder)
		e.OnChanged = func(s string) { f.setNode(key, func(n *delivery.Node) { apply(n, s) }) }
		return field(label, e)
	}
	choice := func(key, label string, options []string, value string, apply func(*delivery.Node, string)) fyne.CanvasObject {
		s := widget.NewSelect(options, nil)
		s.SetSelected(value)
		s.OnChanged = func(v string) { f.setNode(key, func(n *delivery.Node) { apply(n, v) }) }
		return field(label, s)
	}
	switch n.Kind {
	case delivery.NodeSource:
		stream := widget.NewSelectEntry(ui.StreamNames(f.b.env.Engine))
		stream.SetText(n.Source.Stream)
		stream.OnChanged = func(s string) { f.setNode("stream", func(n *delivery.Node) { n.Source.Stream = s }) }
		at := widget.NewEntry()
		at.SetPlaceHolder("2026-01-02T15:04:05Z")
		if !n.Source.At.IsZero() {
			at.SetText(n.Source.At.Format(time.RFC3339))
		}
		atErr := hint("")
		at.OnChanged = func(s string) {
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
			if strings.TrimSpace(s) == "" {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("%q is not a time such as 2026-01-02T15:04:05Z", s)
			}
			showFieldError(atErr, err)
			f.fieldError("at", err)
			f.setNode("at", func(n *delivery.Node) { n.Source.At = t })
		}
		start := n.Source.Start
		if start == "" {
			start = engine.IteratorLatest
		}
		return []fyne.CanvasObject{field("Stream", stream),
			choice("start", "Start at (with no checkpoint yet)", []string{engine.IteratorTrimHorizon, engine.IteratorLatest,
				engine.IteratorAtTimestamp}, start, func(n *delivery.Node, v string) { n.Source.Start = v }),
			field("Timestamp (AT_TIMESTAMP)", at), atErr}
	case delivery.Transform:
		return f.expression("expr", "Expression: a new record (object, string), or nil to drop it", p.Expr,
			func(s string) error { _, err := recordexpr.CompileValue(s); return err })
	case delivery.Filter:
		return f.expression("expr", "Keep records for which this is true", p.Expr,
			func(s string) error { _, err := recordexpr.CompileFilter(s); return err })
	case delivery.Partition:
		return f.partitionKeys(p.Keys)
	case delivery.Convert:
		return f.convert(p)
	case delivery.Newline:
		return []fyne.CanvasObject{explainLabel("Adds a \"\\n\" after each record, so objects hold one record per line.")}
	case delivery.Compress:
		return []fyne.CanvasObject{choice("codec", "Codec", []string{"gzip", "snappy", "zip"}, p.Codec,
			func(n *delivery.Node, v string) { n.Processor.Codec = v })}
	case delivery.NodeBuffer:
		return f.buffer(n.Buffer)
	case delivery.Folder:
		return []fyne.CanvasObject{
			text("path", "Folder (relative: under the data directory)", d.Path, "delivery/out", func(n *delivery.Node, s string) { n.Destination.Path = s }),
			text("prefix", "Prefix", d.Prefix, "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", func(n *delivery.Node, s string) { n.Destination.Prefix = s }),
			text("errorPrefix", "Error output prefix", d.ErrorPrefix, "errors/", func(n *delivery.Node, s string) { n.Destination.ErrorPrefix = s })}
	case delivery.S3:
		secret := widget.NewPasswordEntry()
		secret.SetText(d.SecretKey)
		secret.OnChanged = func(s string) { f.setNode("secret", func(n *delivery.Node) { n.Destination.SecretKey = s }) }
		pathStyle := widget.NewCheck("Path-style addressing (most local S3 servers)", func(on bool) {
			f.setNode("pathStyle", func(n *delivery.Node) { n.Destination.PathStyle = on })
		})
		pathStyle.Checked = d.PathStyle
		return []fyne.CanvasObject{
			text("endpoint", "Endpoint (empty: AWS)", d.Endpoint, "http://127.0.0.1:9000", func(n *delivery.Node, s string) { n.Destination.Endpoint = s }),
			text("bucket", "Bucket", d.Bucket, "", func(n *delivery.Node, s string) { n.Destination.Bucket = s }),
			text("region", "Region", d.Region, "us-east-1", func(n *delivery.Node, s string) { n.Destination.Region = s }),
			pathStyle,
			text("accessKey", "Access key", d.AccessKey, "", func(n *delivery.Node, s string) { n.Destination.AccessKey = s }),
			field("Secret key", secret),
			text("prefix", "Prefix", d.Prefix, "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", func(n *delivery.Node, s string) { n.Destination.Prefix = s }),
			text("errorPrefix", "Error output prefix", d.ErrorPrefix, "errors/", func(n *delivery.Node, s string) { n.Destination.ErrorPrefix = s })}
	case delivery.PG:
		return append([]fyne.CanvasObject{
			text("dsn", "Connection string", d.DSN, "postgres://user@127.0.0.1:5432/db", func(n *delivery.Node, s string) { n.Destination.DSN = s }),
			text("table", "Table", d.Table, "", func(n *delivery.Node, s string) { n.Destination.Table = s })},
			append(f.columnMapping(d.Columns),
				text("errorFolder", "Error folder", d.ErrorFolder, "delivery/errors", func(n *delivery.Node, s string) { n.Destination.ErrorFolder = s }))...)
	case delivery.Stream:
		stream := widget.NewSelectEntry(ui.StreamNames(f.b.env.Engine))
		stream.SetText(d.Stream)
		stream.OnChanged = func(s string) { f.setNode("stream", func(n *delivery.Node) { n.Destination.Stream = s }) }
		return []fyne.CanvasObject{field("Stream", stream),
			text("errorFolder", "Error folder", d.ErrorFolder, "delivery/errors", func(n *delivery.Node, s string) { n.Destination.ErrorFolder = s })}
	case delivery.HTTP:
		format := d.Format
		if format == "" {
			format = delivery.FormatFirehose
		}
		return []fyne.CanvasObject{
			text("url", "URL", d.URL, "http://127.0.0.1:8088/services/collector", func(n *delivery.Node, s string) { n.Destination.URL = s }),
			choice("format", "Request format", []string{delivery.FormatFirehose, delivery.FormatSplunk, delivery.FormatBulk}, format,
				func(n *delivery.Node, v string) { n.Destination.Format = v }),
			text("accessKey", "Access key / Splunk token", d.AccessKey, "", func(n *delivery.Node, s string) { n.Destination.AccessKey = s }),
			text("index", "Index (_bulk)", d.Index, "", func(n *delivery.Node, s string) { n.Destination.Index = s }),
			text("errorFolder", "Error folder", d.ErrorFolder, "delivery/errors", func(n *delivery.Node, s string) { n.Destination.ErrorFolder = s })}
	}
	return nil
}

// expression is an expr-lang field compiled as it is typed, its error shown with a caret under the place.
func (f *nodeForm) expression(key, label, value string, compile func(string) error) []fyne.CanvasObject {
	e := widget.NewMultiLineEntry()
	e.TextStyle.Monospace = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(4)
	e.SetText(value)
	errLabel := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	errLabel.Importance = widget.DangerImportance
	check := func(s string) { setHint(errLabel, exprError(s, compile(s))) }
	e.OnChanged = func(s string) {
		check(s)
		f.setNode(key, func(n *delivery.Node) { n.Processor.Expr = s })
	}
	check(value)
	doc := explainLabel("A record is data (its JSON), key, seq, shard, ts and size.")
	return []fyne.CanvasObject{field(label, e), errLabel, doc}
}

// exprError shows a compile error with the line it is on and a caret under its column.
func exprError(src string, err error) string {
	if err == nil {
		return ""
	}
	var pos *recordexpr.Error
	if !errors.As(err, &pos) {
		return err.Error()
	}
	lines := strings.Split(src, "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return err.Error()
	}
	line := lines[pos.Line-1]
	col := min(max(pos.Column, 0), len([]rune(line)))
	return fmt.Sprintf("%s\n%s\n%s^", err.Error(), line, strings.Repeat(" ", col))
}

// partitionKeys edits keys as "name: expression" lines.
func (f *nodeForm) partitionKeys(keys []delivery.PartitionKey) []fyne.CanvasObject {
	var lines []string
	for _, k := range keys {
		lines = append(lines, k.Name+": "+k.Expr)
	}
	e := widget.NewMultiLineEntry()
	e.TextStyle.Monospace = true
	e.SetMinRowsVisible(3)
	e.SetText(strings.Join(lines, "\n"))
	errLabel := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	errLabel.Importance = widget.DangerImportance
	errLabel.Hide()
	e.OnChanged = func(s string) {
		keys, problems := parseNamedLines(s)
		f.fieldError("keys", lineProblems(problems))
		for _, k := range keys {
			if _, err := recordexpr.CompileValue(k.Expr); err != nil {
				problems = append(problems, fmt.Sprintf("key %s: %s", k.Name, exprError(k.Expr, err)))
			}
		}
		setHint(errLabel, strings.Join(problems, "\n"))
		parsed := make([]delivery.PartitionKey, len(keys))
		for i, k := range keys {
			parsed[i] = delivery.PartitionKey{Name: k.Name, Expr: k.Expr}
		}
		f.setNode("keys", func(n *delivery.Node) { n.Processor.Keys = parsed })
	}
	return []fyne.CanvasObject{field("Keys, one per line as name: expression", e), errLabel,
		explainLabel("Use them in a destination's prefix as !{partitionKeyFromQuery:name}, e.g. data.customer_id or ts.Format(\"2006-01-02\").")}
}

type namedLine struct{ Name, Expr string }

// parseNamedLines reads "name: expression" lines, skipping blank ones.
func parseNamedLines(s string) ([]namedLine, []string) {
	var out []namedLine
	var problems []string
	for i, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, expr, ok := strings.Cut(line, ":")
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: write name: expression", i+1))
			continue
		}
		out = append(out, namedLine{strings.TrimSpace(name), strings.TrimSpace(expr)})
	}
	return out, problems
}

func (f *nodeForm) convert(p delivery.Processor) []fyne.CanvasObject {
	format := widget.NewSelect([]string{"csv", "parquet"}, nil)
	format.SetSelected(p.Format)
	columns := widget.NewEntry()
	columns.SetText(strings.Join(p.Columns, ", "))
	columns.SetPlaceHolder("empty: the first record's keys, sorted")
	columns.OnChanged = func(s string) {
		var cols []string
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, c)
			}
		}
		f.setNode("columns", func(n *delivery.Node) { n.Processor.Columns = cols })
	}
	var schemaLines []string
	for _, c := range p.Schema {
		schemaLines = append(schemaLines, c.Name+": "+c.Type)
	}
	schema := widget.NewMultiLineEntry()
	schema.TextStyle.Monospace = true
	schema.SetMinRowsVisible(4)
	schema.SetText(strings.Join(schemaLines, "\n"))
	schema.SetPlaceHolder("empty: inferred from the first record")
	schemaErr := hint("")
	schema.OnChanged = func(s string) {
		lines, problems := parseNamedLines(s)
		cols := make([]delivery.Column, len(lines))
		for i, l := range lines {
			cols[i] = delivery.Column{Name: l.Name, Type: l.Expr}
		}
		setHint(schemaErr, strings.Join(problems, "\n"))
		f.fieldError("schema", lineProblems(problems))
		f.setNode("schema", func(n *delivery.Node) { n.Processor.Schema = cols })
	}
	format.OnChanged = func(v string) { f.setNode("format", func(n *delivery.Node) { n.Processor.Format = v }) }
	return []fyne.CanvasObject{field("Format", format), field("CSV columns", columns),
		field("Parquet schema, one column per line as name: string|int|float|bool", schema), schemaErr}
}

func (f *nodeForm) buffer(b delivery.Buffer) []fyne.CanvasObject {
	size := widget.NewEntry()
	size.SetPlaceHolder("5")
	if b.SizeMiB != 0 {
		size.SetText(strconv.Itoa(b.SizeMiB))
	}
	sizeErr := hint("")
	size.OnChanged = func(s string) {
		v, err := optionalInt(s, 1, 128)
		showFieldError(sizeErr, err)
		f.fieldError("size", err)
		f.setNode("size", func(n *delivery.Node) {
			n.Buffer.SizeMiB = 0
			if v != nil {
				n.Buffer.SizeMiB = *v
			}
		})
	}
	interval := widget.NewEntry()
	interval.SetPlaceHolder("300")
	if b.IntervalSeconds != nil {
		interval.SetText(strconv.Itoa(*b.IntervalSeconds))
	}
	intervalErr := hint("")
	interval.OnChanged = func(s string) {
		v, err := optionalInt(s, 0, 900)
		showFieldError(intervalErr, err)
		f.fieldError("interval", err)
		f.setNode("interval", func(n *delivery.Node) { n.Buffer.IntervalSeconds = v })
	}
	return []fyne.CanvasObject{field("Size hint (MiB, 1–128)", size), sizeErr,
		field("Interval hint (s, 0–900)", interval), intervalErr,
		explainLabel("An object is written when either is reached, and when the pipeline stops.")}
}

// columnMapping edits a PostgreSQL destination's columns as "column: expression" lines.
func (f *nodeForm) columnMapping(cols []delivery.ColumnMapping) []fyne.CanvasObject {
	var lines []string
	for _, c := range cols {
		lines = append(lines, c.Column+": "+c.Expr)
	}
	e := widget.NewMultiLineEntry()
	e.TextStyle.Monospace = true
	e.SetMinRowsVisible(3)
	e.SetText(strings.Join(lines, "\n"))
	errLabel := hint("")
	e.OnChanged = func(s string) {
		parsed, problems := parseNamedLines(s)
		mapped := make([]delivery.ColumnMapping, len(parsed))
		for i, p := range parsed {
			mapped[i] = delivery.ColumnMapping{Column: p.Name, Expr: p.Expr}
		}
		setHint(errLabel, strings.Join(problems, "\n"))
		f.fieldError("columns", lineProblems(problems))
		f.setNode("columns", func(n *delivery.Node) { n.Destination.Columns = mapped })
	}
	return []fyne.CanvasObject{field("Columns, one per line as column: expression (empty: data.column)", e), errLabel}
}

// field is a setting with its label above it; labels wrap, so a long one never widens the side panel.
func field(label string, w fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	return container.NewVBox(l, w)
}

// hint is a field's error line, empty while the field is right.
func hint(text string) *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	setHint(l, text)
	return l
}

func explainLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	return l
}

func showFieldError(l *widget.Label, err error) {
	if err != nil {
		setHint(l, err.Error())
	} else {
		setHint(l, "")
	}
}

// setHint shows an error line, or hides it when there is none, so that empty ones take no room.
func setHint(l *widget.Label, text string) {
	ui.SetText(l, text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// optionalInt reads a whole number in [lo, hi]; empty means "the default" (nil).
func optionalInt(s string, lo, hi int) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a whole number", s)
	}
	if v < lo || v > hi {
		return &v, fmt.Errorf("%d is outside %d–%d", v, lo, hi)
	}
	return &v, nil
}

// resumePreview polls the latest records through this node of the running delivery stream, while the builder
// shows: asking keeps the delivery sampling every record.
func (f *nodeForm) resumePreview() {
	if f.preview == nil || !f.b.started || f.stopPoll != nil {
		return
	}
	name, ref := f.previewName, f.previewRef
	f.stopPoll = ui.Poll(time.Second, func() []delivery.Sample {
		samples, _ := f.b.env.Deliveries.Preview(name, ref)
		return samples
	}, func(samples []delivery.Sample) {
		if len(samples) == 0 {
			if f.b.info != nil && f.b.info.State == delivery.StateActive {
				ui.SetText(f.preview, "Waiting for records…")
			}
			return
		}
		ui.SetText(f.preview, formatSamples(samples, ref))
	})
}

func (f *nodeForm) stopPreview() {
	if f.stopPoll != nil {
		f.stopPoll()
		f.stopPoll = nil
	}
}

// formatSamples shows the latest records newest first: what came in and what went out (or why not).
func formatSamples(samples []delivery.Sample, ref string) string {
	var b strings.Builder
	for i := len(samples) - 1; i >= 0; i-- {
		s := samples[i]
		fmt.Fprintf(&b, "%s %s  %s\n", s.At.Local().Format("15:04:05"), ui.ShortID(s.Shard), s.Result)
		switch {
		case ref == delivery.SourceRef:
			fmt.Fprintf(&b, "  %s\n", clip(s.Before))
		case s.Object != "":
			fmt.Fprintf(&b, "  %s\n  in %s\n", clip(s.Before), s.Object)
		default:
			fmt.Fprintf(&b, "  before: %s\n", clip(s.Before))
			if s.After != nil {
				fmt.Fprintf(&b, "  after:  %s\n", clip(s.After))
			}
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "  error:  %s\n", s.Error)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// clip is a record's bytes for the preview: JSON indented a member a line (so the side panel wraps between
// members, not mid-word), at most previewLines of it; anything else as one line of at most 200 characters.
func clip(b []byte) string {
	if trimmed := bytes.TrimSpace(b); len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var out bytes.Buffer
		if json.Indent(&out, trimmed, "  ", "  ") == nil {
			lines := strings.Split(out.String(), "\n")
			if len(lines) > previewLines {
				lines = append(lines[:previewLines-1], "  …")
			}
			return strings.Join(lines, "\n")
		}
	}
	return clipLine(b)
}

// previewLines bounds one JSON record in the live preview.
const previewLines = 12

// clipLine is a record's bytes as one line of at most 200 characters.
func clipLine(b []byte) string {
	s := strings.TrimRight(strings.ToValidUTF8(string(b), "?"), "\n")
	s = strings.ReplaceAll(s, "\n", "\\n")
	if r := []rune(s); len(r) > 200 {
		return string(r[:199]) + "…"
	}
	return s
}
