package access

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
)

// decisionsShown is how many of the latest decisions the table holds.
const decisionsShown = 200

// decisions is the table of the API's latest decisions, newest first, and the selected one explained.
type decisions struct {
	s         *Screen
	items     []iam.Logged
	count     uint64
	selected  int
	table     *widget.Table
	detail    *widget.Label
	statement *widget.Label
	root      fyne.CanvasObject
}

var decisionColumns = []ui.Column{{Title: "Time", Width: 85}, {Title: "Decision", Width: 125}, {Title: "Principal", Width: 160},
	{Title: "Action", Width: 190}, {Title: "Resource", Width: 210}, {Title: "Decided by", Width: 280}}

// short is an ARN without its partition, region and account (user/alice, stream/orders): the table's columns are
// narrow and the account is always the same; the explanation below shows it whole.
func short(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[5]
	}
	return arn
}

func newDecisions(s *Screen) *decisions {
	d := &decisions{s: s, selected: -1}
	cols := make([]ui.Column, len(decisionColumns))
	for i, c := range decisionColumns {
		cols[i] = ui.Column{Title: c.Title, Width: ui.Scaled(c.Width)}
	}
	d.table = ui.NewColumnTable(cols, func() int { return len(d.items) }, d.cell)
	d.table.OnSelected = func(id widget.TableCellID) {
		d.selected = id.Row
		d.explain()
	}
	d.detail = widget.NewLabel("Every signed call the API answers is decided here; select one to see why.")
	d.detail.Wrapping = fyne.TextWrapWord
	d.statement = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	split := container.NewVSplit(d.table, container.NewVScroll(container.NewVBox(d.detail, d.statement)))
	split.Offset = 0.6
	d.root = split
	return d
}

// verdict is IAM's policy simulator's word for a decision.
func verdict(dec iam.Decision) string {
	switch {
	case dec.Allowed:
		return "allowed"
	case dec.Explicit:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// decidedBy names the source and statement that decided, or why nothing did.
func decidedBy(dec iam.Decision) string {
	switch {
	case dec.By != "" && dec.Sid != "":
		return fmt.Sprintf("%s, statement %d (%s)", dec.By, dec.Index+1, dec.Sid)
	case dec.By != "":
		return fmt.Sprintf("%s, statement %d", dec.By, dec.Index+1)
	case dec.Allowed:
		return "the account's root"
	}
	return "nothing allows it (implicit deny)"
}

func (d *decisions) cell(row, col int) string {
	e := d.items[row]
	switch col {
	case 0:
		return e.Time.Local().Format("15:04:05")
	case 1:
		return verdict(e.Decision)
	case 2:
		return short(e.Question.Principal)
	case 3:
		return e.Question.Action
	case 4:
		return short(e.Question.Resource)
	}
	return decidedBy(e.Decision)
}

// show takes the latest decisions when the log changed (count is its change counter).
func (d *decisions) show(items []iam.Logged, count uint64) {
	if count == d.count {
		return
	}
	d.items, d.count = items, count
	d.table.Refresh()
	if d.selected >= 0 {
		d.table.UnselectAll()
		d.selected = -1
		d.explain()
	}
}

func (d *decisions) explain() {
	if d.selected < 0 || d.selected >= len(d.items) {
		ui.SetText(d.detail, "Every signed call the API answers is decided here; select one to see why.")
		ui.SetText(d.statement, "")
		return
	}
	e := d.items[d.selected]
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s: %s %s on %s, from %s", verdict(e.Decision), e.Time.Local().Format("15:04:05.000"),
		e.Question.Principal, e.Question.Action, e.Question.Resource, e.Question.SourceIP)
	if e.Question.TLS {
		b.WriteString(" over TLS")
	}
	fmt.Fprintf(&b, ".\nDecided by: %s.", decidedBy(e.Decision))
	if e.Decision.Message != "" {
		b.WriteString("\n" + e.Decision.Message)
	}
	ui.SetText(d.detail, b.String())
	text := ""
	if e.Decision.Statement != nil {
		text = e.Decision.Statement.Text
	}
	ui.SetText(d.statement, text)
}
