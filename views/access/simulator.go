package access

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
)

// commonActions are offered in the simulator's action field; any service:Action may be typed.
var commonActions = []string{"kinesis:PutRecord", "kinesis:PutRecords", "kinesis:GetRecords", "kinesis:GetShardIterator",
	"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListStreams",
	"kinesis:CreateStream", "kinesis:DeleteStream", "kinesis:SplitShard", "kinesis:MergeShards",
	"kinesis:RegisterStreamConsumer", "kinesis:SubscribeToShard", "firehose:PutRecord", "firehose:PutRecordBatch",
	"kinesisvideo:PutMedia", "kinesisvideo:GetMedia", "sts:AssumeRole"}

// simulator asks the decider what it would answer, as IAM's policy simulator does: principal, action, resource,
// source address and TLS in; the decision and the statement that decided out.
type simulator struct {
	s         *Screen
	principal *widget.Select
	arns      map[string]string // the principal choices' ARNs
	action    *widget.SelectEntry
	resource  *widget.SelectEntry
	sourceIP  *widget.Entry
	tls       *widget.Check
	result    *widget.Label
	why       *widget.Label
	statement *widget.Label
	root      fyne.CanvasObject
}

func newSimulator(s *Screen) *simulator {
	m := &simulator{s: s}
	m.principal = widget.NewSelect(nil, nil)
	m.action = widget.NewSelectEntry(commonActions)
	m.action.SetText("kinesis:PutRecord")
	m.resource = widget.NewSelectEntry(nil)
	m.sourceIP = widget.NewEntry()
	m.sourceIP.SetText("127.0.0.1")
	m.tls = widget.NewCheck("over TLS (aws:SecureTransport)", nil)
	m.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	m.why = widget.NewLabel("")
	m.why.Wrapping = fyne.TextWrapWord
	m.statement = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	run := widget.NewButton("Simulate", m.simulate)
	run.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem("Principal", m.principal), widget.NewFormItem("Action", m.action),
		widget.NewFormItem("Resource", m.resource), widget.NewFormItem("Source IP", m.sourceIP), widget.NewFormItem("", m.tls))
	m.root = container.NewVScroll(container.NewVBox(form, container.NewHBox(run), m.result, m.why, m.statement))
	return m
}

// refresh offers the account's principals and streams.
func (m *simulator) refresh() {
	st := m.s.store()
	account := st.AccountID()
	m.arns = map[string]string{"root (the account)": "arn:aws:iam::" + account + ":root"}
	choices := []string{"root (the account)"}
	for _, u := range st.Users() {
		c := "user " + u.Name
		choices, m.arns[c] = append(choices, c), u.ARN
	}
	for _, r := range st.Roles() {
		c := "role " + r.Name + " (a session)"
		choices, m.arns[c] = append(choices, c), "arn:aws:sts::"+account+":assumed-role/"+r.Name+"/simulator"
	}
	selected := m.principal.Selected
	m.principal.SetOptions(choices)
	if _, ok := m.arns[selected]; !ok {
		selected = choices[len(choices)-1]
		if len(choices) > 1 {
			selected = choices[1]
		}
	}
	m.principal.SetSelected(selected)
	scope := m.s.env.Engine.DefaultScope()
	var streams []string
	for _, name := range ui.StreamNames(m.s.env.Engine) {
		streams = append(streams, engine.StreamARN(scope, name))
	}
	streams = append(streams, "*")
	m.resource.SetOptions(streams)
	if m.resource.Text == "" {
		m.resource.SetText(streams[0])
	}
}

func (m *simulator) simulate() {
	q := iam.Question{Principal: m.arns[m.principal.Selected], Action: strings.TrimSpace(m.action.Text),
		Resource: strings.TrimSpace(m.resource.Text), Region: m.s.env.Engine.DefaultScope().Region,
		SourceIP: strings.TrimSpace(m.sourceIP.Text), TLS: m.tls.Checked}
	if !strings.Contains(q.Action, ":") {
		m.show("", "Give the action as service:Action, e.g. kinesis:PutRecord.", "")
		return
	}
	// The stream's resource policy is read from the engine: off the UI goroutine.
	ui.Background(func() (iam.Decision, error) { return m.s.env.Access.Simulate(context.Background(), q), nil },
		func(d iam.Decision, _ error) {
			why := "Decided by: " + decidedBy(d) + "."
			if d.Message != "" {
				why += "\n" + d.Message
			}
			text := ""
			if d.Statement != nil {
				text = d.Statement.Text
			}
			m.show(verdict(d), why, text)
		})
}

func (m *simulator) show(result, why, statement string) {
	ui.SetText(m.result, result)
	ui.SetText(m.why, why)
	ui.SetText(m.statement, statement)
}
