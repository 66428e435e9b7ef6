package access

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

func newScreen(t *testing.T) (*Screen, ui.Env, fyne.Window) {
	t.Helper()
	env := uitest.NewEnv(t)
	store, err := iam.OpenStore(context.Background(), env.Engine, env.Engine.DefaultScope().Account)
	if err != nil {
		t.Fatal(err)
	}
	env.Access = &iam.Decider{Store: store, Eng: env.Engine, Log: &iam.DecisionLog{}}
	env.API = func() ui.APIStatus { return ui.APIStatus{Endpoint: "http://127.0.0.1:4567", Auth: "verify"} }
	test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	var s *Screen
	uitest.UI(func() {
		s = New(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1240, 660))
		s.Start()
	})
	t.Cleanup(s.Stop)
	return s, env, win
}

// TestEditorSaysWhereAPolicyIsWrongAndSavesAGoodOne types a broken policy into the editor: it names the line and
// column and Save stays off; fixed, Save stores it as the user's inline policy.
func TestEditorSaysWhereAPolicyIsWrongAndSavesAGoodOne(t *testing.T) {
	s, env, win := newScreen(t)
	ctx := context.Background()
	if _, err := env.Access.Store.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	var e *policyEditor
	uitest.UI(func() {
		s.identities.refresh()
		s.identities.list.Select(0)
		e = newPolicyEditor(starterPolicy, identityDoc, true)
		e.open(win, "New inline policy", func(name, doc string) error {
			return env.Access.Store.PutUserPolicy(ctx, "alice", name, doc)
		}, s.identities.refresh)
		e.doc.SetText("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\",, } ]\n}")
	})
	uitest.UI(func() {
		if !strings.HasPrefix(e.status.Text, "Line 3, column 37:") || !e.save.Disabled() {
			t.Errorf("a syntax error: %q, save disabled %v", e.status.Text, e.save.Disabled())
		}
		e.doc.SetText(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"IpAdress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)
		if !strings.Contains(e.status.Text, `operator "IpAdress"`) || !e.save.Disabled() {
			t.Errorf("a misspelt condition: %q", e.status.Text)
		}
		e.doc.SetText(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"*"}}`)
		if e.status.Text != "Give the policy a name." || !e.save.Disabled() {
			t.Errorf("without a name: %q", e.status.Text)
		}
		test.Type(e.name, "put-only")
		if e.status.Text != "Valid: 1 statement" || e.save.Disabled() {
			t.Errorf("a good policy: %q, save disabled %v", e.status.Text, e.save.Disabled())
		}
		test.Tap(e.save)
	})
	uitest.Eventually(t, "the policy saved and shown", func() bool {
		doc, err := env.Access.Store.UserPolicy("alice", "put-only")
		_, shown := uitest.Find(s.Content(), func(l *widget.Label) bool { return l.Text == "put-only" })
		return err == nil && strings.Contains(doc, "kinesis:PutRecord") && shown
	})
}

// TestSimulatorAndDecisions asks the simulator about alice's PutRecord and DeleteStream, and sees a decision the
// API logged appear in the Decisions table with the statement that decided it.
func TestSimulatorAndDecisions(t *testing.T) {
	s, env, _ := newScreen(t)
	ctx := context.Background()
	env.Access.Store.CreateUser(ctx, "alice")
	env.Access.Store.PutUserPolicy(ctx, "alice", "put-only", `{"Version":"2012-10-17","Statement":{"Sid":"writes","Effect":"Allow","Action":"kinesis:PutRecord","Resource":"*"}}`)
	if err := env.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "orders", ShardCount: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	uitest.UI(func() {
		s.refresh()
		s.simulator.principal.SetSelected("user alice")
		s.simulator.action.SetText("kinesis:PutRecord")
		s.simulator.resource.SetText("arn:aws:kinesis:us-east-1:000000000000:stream/orders")
		test.Tap(uitest.Button(t, s.simulator.root, "Simulate"))
	})
	uitest.Eventually(t, "allowed by the inline policy", func() bool {
		return s.simulator.result.Text == "allowed" && strings.Contains(s.simulator.why.Text, "inline policy put-only of user alice, statement 1 (writes)") &&
			strings.Contains(s.simulator.statement.Text, `"Sid": "writes"`)
	})
	uitest.UI(func() {
		s.simulator.action.SetText("kinesis:DeleteStream")
		test.Tap(uitest.Button(t, s.simulator.root, "Simulate"))
	})
	uitest.Eventually(t, "an implicit deny", func() bool {
		return s.simulator.result.Text == "implicitDeny" && strings.Contains(s.simulator.why.Text, "because no identity-based policy allows the kinesis:DeleteStream action")
	})
	env.Access.Decide(ctx, iam.Question{Principal: "arn:aws:iam::000000000000:user/alice", Action: "kinesis:PutRecord",
		Resource: "arn:aws:kinesis:us-east-1:000000000000:stream/orders", SourceIP: "127.0.0.1"})
	uitest.Eventually(t, "the decision in the table", func() bool {
		return len(s.decisions.items) == 1 && s.decisions.cell(0, 2) == "user/alice" && s.decisions.cell(0, 1) == "allowed"
	})
	uitest.UI(func() {
		s.decisions.table.Select(widget.TableCellID{Row: 0, Col: 1})
		if !strings.Contains(s.decisions.detail.Text, "Decided by: inline policy put-only of user alice") {
			t.Errorf("the explanation: %q", s.decisions.detail.Text)
		}
	})
}

func ptr(n int) *int { return &n }
