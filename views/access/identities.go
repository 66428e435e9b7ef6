package access

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/views/ui"
)

// entity is a user or a role, as the identities list shows it.
type entity struct {
	role bool
	name string
}

func (e entity) label() string {
	if e.role {
		return "role  " + e.name
	}
	return "user  " + e.name
}

// identities lists the account's users and roles and shows the selected one: its keys or trust policy, its inline
// and attached policies, each with what can be done to it.
type identities struct {
	s        *Screen
	all      []entity
	selected entity
	list     *widget.List
	detail   *fyne.Container
	root     fyne.CanvasObject
}

func newIdentities(s *Screen) *identities {
	id := &identities{s: s, detail: container.NewVBox()}
	id.list = widget.NewList(func() int { return len(id.all) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(id.all[i].label()) })
	id.list.OnSelected = func(i widget.ListItemID) {
		if i < len(id.all) {
			id.selected = id.all[i]
			id.show()
		}
	}
	newUser := widget.NewButtonWithIcon("New user…", theme.ContentAddIcon(), id.newUser)
	newRole := widget.NewButtonWithIcon("New role…", theme.ContentAddIcon(), id.newRole)
	left := container.NewBorder(nil, container.NewVBox(newUser, newRole), nil, nil, id.list)
	// Scrolling both ways keeps a long ARN or key line from widening the window (a lesson's panel shares it).
	split := container.NewHSplit(left, container.NewScroll(container.NewPadded(id.detail)))
	split.Offset = 0.25
	id.root = split
	return id
}

// refresh reloads the list from the store (memory only: no disk) and the detail of the selection.
func (id *identities) refresh() {
	var all []entity
	for _, u := range id.s.store().Users() {
		all = append(all, entity{name: u.Name})
	}
	for _, r := range id.s.store().Roles() {
		all = append(all, entity{role: true, name: r.Name})
	}
	id.all = all
	id.list.Refresh()
	id.show()
}

func (id *identities) show() {
	id.detail.Objects = nil
	if id.selected.name == "" {
		intro := widget.NewLabel("Users sign with their access keys; roles are assumed through STS AssumeRole. " +
			"Pick one on the left, or make one.")
		intro.Wrapping = fyne.TextWrapWord
		id.detail.Add(intro)
		id.detail.Refresh()
		return
	}
	if id.selected.role {
		id.showRole()
	} else {
		id.showUser()
	}
	id.detail.Refresh()
}

// run does a change off the UI goroutine (it commits to the database), then shows the result or the error.
func (id *identities) run(what string, change func(ctx context.Context) error) {
	ui.Background(func() (struct{}, error) { return struct{}{}, change(context.Background()) }, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError(what, err, id.s.win)
		}
		id.refresh()
	})
}

func (id *identities) showUser() {
	st := id.s.store()
	u, err := st.GetUser(id.selected.name)
	if err != nil {
		id.selected = entity{}
		id.show()
		return
	}
	id.detail.Add(ui.Heading("User " + u.Name))
	id.detail.Add(ui.Copyable(u.ARN))
	keys, _ := st.AccessKeys(u.Name)
	id.detail.Add(widget.NewLabelWithStyle("Access keys", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, k := range keys {
		k := k
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			id.confirm("Delete access key "+k.ID+"?", func() {
				id.run("Delete access key", func(ctx context.Context) error { return st.DeleteAccessKey(ctx, u.Name, k.ID) })
			})
		})
		id.detail.Add(container.NewBorder(nil, nil, nil, del,
			widget.NewLabel(fmt.Sprintf("%s · %s · made %s", k.ID, k.Status, k.Created.Local().Format("2006-01-02 15:04")))))
	}
	id.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Create access key", theme.ContentAddIcon(), func() {
		ui.Background(func() (iam.AccessKey, error) { return st.CreateAccessKey(context.Background(), u.Name) }, func(k iam.AccessKey, err error) {
			if err != nil {
				ui.ShowError("Create access key", err, id.s.win)
				return
			}
			id.refresh()
			dialog.ShowCustom("Access key for "+u.Name, "Done", widget.NewForm(
				widget.NewFormItem("AWS_ACCESS_KEY_ID", ui.Copyable(k.ID)),
				widget.NewFormItem("AWS_SECRET_ACCESS_KEY", ui.Copyable(k.Secret)),
				widget.NewFormItem("", widget.NewLabel("The secret is shown once, as IAM shows it. Copy it now."))), id.s.win)
		})
	})))
	id.policies(u.Policies, u.Attached, "user",
		func(ctx context.Context, name, doc string) error { return st.PutUserPolicy(ctx, u.Name, name, doc) },
		func(ctx context.Context, name string) error { return st.DeleteUserPolicy(ctx, u.Name, name) },
		func(ctx context.Context, arn string) error { return st.AttachUserPolicy(ctx, u.Name, arn) },
		func(ctx context.Context, arn string) error { return st.DetachUserPolicy(ctx, u.Name, arn) })
	id.detail.Add(widget.NewSeparator())
	id.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Delete user", theme.DeleteIcon(), func() {
		id.confirm("Delete user "+u.Name+"? IAM deletes a user only after its keys and policies.", func() {
			id.run("Delete user", func(ctx context.Context) error { return st.DeleteUser(ctx, u.Name) })
		})
	})))
}

func (id *identities) showRole() {
	st := id.s.store()
	r, err := st.GetRole(id.selected.name)
	if err != nil {
		id.selected = entity{}
		id.show()
		return
	}
	id.detail.Add(ui.Heading("Role " + r.Name))
	id.detail.Add(ui.Copyable(r.ARN))
	sessions := 0
	for _, c := range st.Sessions(time.Now()) {
		if c.Role == r.Name {
			sessions++
		}
	}
	id.detail.Add(widget.NewLabel(fmt.Sprintf("Sessions up to %s · %s active now", time.Duration(r.MaxSessionDuration)*time.Second, ui.Plural(sessions, "session"))))
	id.detail.Add(widget.NewLabelWithStyle("Trust policy (who may assume it)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	id.detail.Add(docLabel(r.TrustPolicy))
	id.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Edit trust policy…", theme.DocumentCreateIcon(), func() {
		newPolicyEditor(r.TrustPolicy, trustDoc, false).open(id.s.win, "Trust policy of "+r.Name,
			func(_, doc string) error { return st.UpdateAssumeRolePolicy(context.Background(), r.Name, doc) }, id.refresh)
	})))
	id.policies(r.Policies, r.Attached, "role",
		func(ctx context.Context, name, doc string) error { return st.PutRolePolicy(ctx, r.Name, name, doc) },
		func(ctx context.Context, name string) error { return st.DeleteRolePolicy(ctx, r.Name, name) },
		func(ctx context.Context, arn string) error { return st.AttachRolePolicy(ctx, r.Name, arn) },
		func(ctx context.Context, arn string) error { return st.DetachRolePolicy(ctx, r.Name, arn) })
	id.detail.Add(widget.NewSeparator())
	id.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Delete role", theme.DeleteIcon(), func() {
		id.confirm("Delete role "+r.Name+"? Its sessions end with it.", func() {
			id.run("Delete role", func(ctx context.Context) error { return st.DeleteRole(ctx, r.Name) })
		})
	})))
}

// policies shows an entity's inline policies (edit, delete, add) and attached managed policies (detach, attach).
func (id *identities) policies(inline map[string]string, attached []string, kind string,
	put func(context.Context, string, string) error, del func(context.Context, string) error,
	attach, detach func(context.Context, string) error) {
	id.detail.Add(widget.NewLabelWithStyle("Inline policies", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	names := make([]string, 0, len(inline))
	for n := range inline {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		n := n
		edit := widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() {
			newPolicyEditor(inline[n], identityDoc, false).open(id.s.win, "Inline policy "+n,
				func(_, doc string) error { return put(context.Background(), n, doc) }, id.refresh)
		})
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			id.confirm("Delete inline policy "+n+"?", func() {
				id.run("Delete policy", func(ctx context.Context) error { return del(ctx, n) })
			})
		})
		id.detail.Add(container.NewBorder(nil, nil, nil, container.NewHBox(edit, remove), widget.NewLabel(n)))
		id.detail.Add(docLabel(inline[n]))
	}
	id.detail.Add(container.NewHBox(widget.NewButtonWithIcon("Add inline policy…", theme.ContentAddIcon(), func() {
		newPolicyEditor(starterPolicy, identityDoc, true).open(id.s.win, "New inline policy for "+kind+" "+id.selected.name,
			func(name, doc string) error { return put(context.Background(), name, doc) }, id.refresh)
	})))
	id.detail.Add(widget.NewLabelWithStyle("Managed policies attached", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, arn := range attached {
		arn := arn
		id.detail.Add(container.NewBorder(nil, nil, nil, widget.NewButton("Detach", func() {
			id.run("Detach policy", func(ctx context.Context) error { return detach(ctx, arn) })
		}), widget.NewLabel(arn)))
	}
	var choices []string
	for _, p := range id.s.store().Policies("All") {
		if !slices.Contains(attached, p.ARN) {
			choices = append(choices, p.ARN)
		}
	}
	pick := widget.NewSelect(choices, nil)
	pick.PlaceHolder = "a managed policy"
	id.detail.Add(container.NewBorder(nil, nil, nil, widget.NewButton("Attach", func() {
		if arn := pick.Selected; arn != "" {
			id.run("Attach policy", func(ctx context.Context) error { return attach(ctx, arn) })
		}
	}), pick))
}

// indented is a policy document indented for reading (a CLI's documents come on one line), or as it is when it
// is not JSON.
func indented(doc string) string {
	text := strings.TrimSpace(doc)
	var ind bytes.Buffer
	if json.Indent(&ind, []byte(text), "", "  ") == nil {
		return ind.String()
	}
	return text
}

// docLabel shows a policy document, monospace, indented.
func docLabel(doc string) *widget.Label {
	l := widget.NewLabelWithStyle(indented(doc), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Wrapping = fyne.TextWrapBreak
	return l
}

func (id *identities) confirm(question string, yes func()) {
	dialog.ShowConfirm("Access", question, func(ok bool) {
		if ok {
			yes()
		}
	}, id.s.win)
}

func (id *identities) newUser() {
	name := widget.NewEntry()
	name.SetPlaceHolder("alice")
	dialog.ShowForm("New user", "Create", "Cancel", []*widget.FormItem{widget.NewFormItem("User name", name)}, func(ok bool) {
		if !ok {
			return
		}
		n := strings.TrimSpace(name.Text)
		ui.Background(func() (iam.User, error) { return id.s.store().CreateUser(context.Background(), n) }, func(_ iam.User, err error) {
			if err != nil {
				ui.ShowError("New user", err, id.s.win)
				return
			}
			id.selected = entity{name: n}
			id.refresh()
		})
	}, id.s.win)
}

func (id *identities) newRole() {
	name := widget.NewEntry()
	name.SetPlaceHolder("producer")
	dialog.ShowForm("New role", "Next: trust policy…", "Cancel", []*widget.FormItem{widget.NewFormItem("Role name", name)}, func(ok bool) {
		if !ok {
			return
		}
		n := strings.TrimSpace(name.Text)
		newPolicyEditor(starterTrust(id.s.store().AccountID()), trustDoc, false).open(id.s.win, "Trust policy of new role "+n,
			func(_, doc string) error {
				_, err := id.s.store().CreateRole(context.Background(), n, "", "", doc, 0)
				return err
			}, func() {
				id.selected = entity{role: true, name: n}
				id.refresh()
			})
	}, id.s.win)
}
