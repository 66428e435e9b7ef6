package access

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
)

// policyKind says which rules a document is checked by in the editor.
type policyKind int

const (
	identityDoc policyKind = iota
	trustDoc
)

// checkPolicy says what is wrong with a document, where ("line 3, column 14: …"), or how many statements it has.
func checkPolicy(doc string, kind policyKind) (ok bool, say string) {
	parse := func(d string) (*iam.Policy, error) { return iam.ParsePolicy(d, false) }
	if kind == trustDoc {
		parse = iam.ParseTrustPolicy
	}
	p, err := parse(doc)
	if err != nil {
		var me *iam.MalformedPolicyError
		if errors.As(err, &me) && me.Line > 0 {
			return false, fmt.Sprintf("Line %d, column %d: %s", me.Line, me.Column, me.Msg)
		}
		if errors.As(err, &me) {
			return false, me.Msg
		}
		return false, err.Error()
	}
	return true, "Valid: " + ui.Plural(len(p.Statements), "statement")
}

// policyEditor is a JSON editor for a policy document that checks it as it is typed, as IAM would on save.
type policyEditor struct {
	name   *widget.Entry // nil when the name is fixed
	doc    *widget.Entry
	status *widget.Label
	save   *widget.Button
	kind   policyKind
}

func newPolicyEditor(doc string, kind policyKind, named bool) *policyEditor {
	e := &policyEditor{kind: kind}
	if named {
		e.name = widget.NewEntry()
		e.name.SetPlaceHolder("policy name, e.g. put-only")
	}
	e.doc = widget.NewMultiLineEntry()
	e.doc.TextStyle = fyne.TextStyle{Monospace: true}
	e.doc.Wrapping = fyne.TextWrapOff
	e.status = widget.NewLabel("")
	e.status.Wrapping = fyne.TextWrapWord
	e.doc.OnChanged = func(string) { e.check() }
	e.doc.SetText(indented(doc))
	return e
}

func (e *policyEditor) check() bool {
	ok, say := checkPolicy(e.doc.Text, e.kind)
	if e.name != nil && e.name.Text == "" && ok {
		ok, say = false, "Give the policy a name."
	}
	ui.SetText(e.status, say)
	if e.save != nil {
		ui.SetEnabled(e.save, ok)
	}
	return ok
}

// open shows the editor in a dialog; save runs off the UI goroutine (it commits to the database) and its error, if
// any, is shown without closing the editor.
func (e *policyEditor) open(win fyne.Window, title string, save func(name, doc string) error, done func()) {
	var d dialog.Dialog
	e.save = widget.NewButton("Save", func() {
		if !e.check() {
			return
		}
		name := ""
		if e.name != nil {
			name = e.name.Text
		}
		doc := e.doc.Text
		e.save.Disable()
		ui.Background(func() (struct{}, error) { return struct{}{}, save(name, doc) }, func(_ struct{}, err error) {
			e.save.Enable()
			if err != nil {
				ui.SetText(e.status, err.Error())
				return
			}
			d.Hide()
			done()
		})
	})
	e.save.Importance = widget.HighImportance
	if e.name != nil {
		e.name.OnChanged = func(string) { e.check() }
	}
	top := container.NewVBox()
	if e.name != nil {
		top.Add(e.name)
	}
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	body := container.NewBorder(top, container.NewBorder(nil, nil, nil, container.NewHBox(cancel, e.save), e.status), nil, nil, e.doc)
	d = dialog.NewCustomWithoutButtons(title, body, win)
	d.Resize(fyne.NewSize(ui.Scaled(720), ui.Scaled(480)))
	e.check()
	d.Show()
	win.Canvas().Focus(e.doc)
}

// starterPolicy is what a new inline or managed policy starts from: one statement to change.
const starterPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
      "Resource": "arn:aws:kinesis:*:*:stream/*"
    }
  ]
}`

// starterTrust is what a new role's trust policy starts from: the account's principals may assume it.
func starterTrust(account string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::` + account + `:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}`
}
