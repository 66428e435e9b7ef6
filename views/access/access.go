// Package access is the Access screen: the account's IAM users, access keys, roles and policies (edited in a JSON
// editor that says what is wrong, and where), the latest decisions the API made, and a policy simulator. It shows
// engine/iam's Store and Decider; it never decides anything itself.
package access

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
)

// Screen is the Access screen.
type Screen struct {
	env ui.Env
	win fyne.Window

	tabs       *container.AppTabs
	identities *identities
	managed    *managedPolicies
	decisions  *decisions
	simulator  *simulator
	note       *widget.Label
	stop       func()
	version    uint64 // the IAM store's version shown
	root       fyne.CanvasObject
}

// New builds the screen over env.Access.
func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win}
	s.identities = newIdentities(s)
	s.managed = newManagedPolicies(s)
	s.decisions = newDecisions(s)
	s.simulator = newSimulator(s)
	s.note = widget.NewLabel("")
	s.note.Wrapping = fyne.TextWrapWord
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Users and roles", theme.AccountIcon(), s.identities.root),
		container.NewTabItemWithIcon("Managed policies", theme.DocumentIcon(), s.managed.root),
		container.NewTabItemWithIcon("Decisions", theme.ListIcon(), s.decisions.root),
		container.NewTabItemWithIcon("Simulator", theme.QuestionIcon(), s.simulator.root),
	)
	s.tabs.OnSelected = func(*container.TabItem) { s.refresh() }
	s.root = container.NewBorder(container.NewVBox(ui.Heading("Access"), s.note), nil, nil, nil, s.tabs)
	return s
}

func (s *Screen) store() *iam.Store { return s.env.Access.Store }

// Content implements ui.Screen.
func (s *Screen) Content() fyne.CanvasObject { return s.root }

// Start shows the entities and follows the decisions and the API's signature mode.
func (s *Screen) Start() {
	s.version = s.store().Version()
	s.refresh()
	s.stop = ui.Poll(time.Second, func() pollResult {
		var r pollResult
		r.decisions, r.count = s.env.Access.Log.Latest(decisionsShown)
		r.version = s.store().Version()
		if s.env.API != nil {
			r.api = s.env.API()
		}
		return r
	}, func(r pollResult) {
		if r.version != s.version { // a call on the API (aws iam …) or a lesson changed IAM
			s.version = r.version
			s.refresh()
		}
		s.decisions.show(r.decisions, r.count)
		s.showMode(r.api)
	})
}

// Stop implements ui.Screen.
func (s *Screen) Stop() {
	if s.stop != nil {
		s.stop()
	}
}

type pollResult struct {
	decisions []iam.Logged
	count     uint64
	version   uint64
	api       ui.APIStatus
}

func (s *Screen) refresh() {
	s.identities.refresh()
	s.managed.refresh()
	s.simulator.refresh()
}

// showMode says whether the policies decide anything now: only signed calls are decided.
func (s *Screen) showMode(st ui.APIStatus) {
	text := "Signatures are checked (Settings > Signatures: Verify): every call to " + st.Endpoint +
		" is decided by these policies. Management here acts as the account's root."
	if st.Auth != "verify" {
		text = "Signatures are off (Settings > Signatures), so calls to the API are not decided by these policies: " +
			"turn Verify on to enforce them. The simulator answers either way."
	}
	ui.SetText(s.note, text)
}

// managedPolicies lists the account's and AWS's managed policies, shows one, and makes or deletes the account's.
type managedPolicies struct {
	s        *Screen
	all      []iam.ManagedPolicy
	selected int
	list     *widget.List
	detail   *fyne.Container
	root     fyne.CanvasObject
}

func newManagedPolicies(s *Screen) *managedPolicies {
	m := &managedPolicies{s: s, selected: -1, detail: container.NewVBox()}
	m.list = widget.NewList(func() int { return len(m.all) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			owner := "yours"
			if m.all[i].AWS {
				owner = "AWS"
			}
			o.(*widget.Label).SetText(m.all[i].Name + "  (" + owner + ")")
		})
	m.list.OnSelected = func(i widget.ListItemID) { m.selected = i; m.show() }
	create := widget.NewButtonWithIcon("New policy…", theme.ContentAddIcon(), func() {
		newPolicyEditor(starterPolicy, identityDoc, true).open(s.win, "New managed policy", func(name, doc string) error {
			_, err := s.store().CreatePolicy(context.Background(), name, "/", "", doc)
			return err
		}, s.refresh)
	})
	split := container.NewHSplit(container.NewBorder(nil, create, nil, nil, m.list), container.NewScroll(container.NewPadded(m.detail)))
	split.Offset = 0.3
	m.root = split
	return m
}

func (m *managedPolicies) refresh() {
	m.all = m.s.store().Policies("All")
	if m.selected >= len(m.all) {
		m.selected = -1
	}
	m.list.Refresh()
	m.show()
}

func (m *managedPolicies) show() {
	m.detail.Objects = nil
	if m.selected < 0 {
		intro := widget.NewLabel("Managed policies are attached to users and roles. AWS's are built in, with the documents AWS publishes.")
		intro.Wrapping = fyne.TextWrapWord
		m.detail.Add(intro)
		m.detail.Refresh()
		return
	}
	p := m.all[m.selected]
	_, attachments, _ := m.s.store().GetPolicy(p.ARN)
	m.detail.Add(ui.Heading(p.Name))
	m.detail.Add(ui.Copyable(p.ARN))
	m.detail.Add(widget.NewLabel("Version " + iam.DefaultVersion + " · attachments: " + ui.Thousands(int64(attachments))))
	m.detail.Add(docLabel(p.Document))
	if !p.AWS {
		m.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Delete policy", theme.DeleteIcon(), func() {
			arn := p.ARN
			ui.Background(func() (struct{}, error) { return struct{}{}, m.s.store().DeletePolicy(context.Background(), arn) },
				func(_ struct{}, err error) {
					if err != nil {
						ui.ShowError("Delete policy", err, m.s.win)
					}
					m.selected = -1
					m.s.refresh()
				})
		})))
	}
	m.detail.Refresh()
}
