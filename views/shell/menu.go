package shell

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/dashboard"
	"github.com/shardlab/shardlab/views/streams"
	"github.com/shardlab/shardlab/views/ui"
)

// shortcut is one keyboard shortcut, shown in the menu and working anywhere in the window.
type shortcut struct {
	label string
	key   fyne.KeyName
	mod   fyne.KeyModifier
	run   func()
}

// actions are the common actions, in menu order: every one has a key.
func (s *Shell) actions() []shortcut {
	ctrl := fyne.KeyModifierShortcutDefault
	return []shortcut{
		{"New stream…", fyne.KeyN, ctrl, func() { s.Select(navStreams); streams.ShowCreateStream(s.env, s.win, nil) }},
		{"Streams", fyne.Key1, ctrl, func() { s.Select(navStreams) }},
		{"Settings", fyne.KeyComma, ctrl, func() { s.Select(navSettings) }},
		{"Start or stop this stream's producers", fyne.KeyG, ctrl, func() {
			if d, ok := s.current.(*dashboard.Dashboard); ok {
				d.ToggleProducers()
			}
		}},
		{"Find a partition key", fyne.KeyF, ctrl, func() {
			if d, ok := s.current.(*dashboard.Dashboard); ok {
				d.FocusLens()
			}
		}},
		{"Presentation mode", fyne.KeyP, ctrl | fyne.KeyModifierShift, s.togglePresentation},
		{"About Shardlab", fyne.KeyF1, 0, s.showAbout},
		{"Lessons", fyne.KeyF2, 0, func() { s.Select(navLessons) }},
		{"Previous lesson step", fyne.KeyLeft, 0, s.stepKey(-1)},
		{"Next lesson step", fyne.KeyRight, 0, s.stepKey(+1)},
	}
}

func (s *Shell) installShortcuts() {
	var items []*fyne.MenuItem
	plain := map[fyne.KeyName]func(){}
	for _, a := range s.actions() {
		sc := &desktop.CustomShortcut{KeyName: a.key, Modifier: a.mod}
		run := a.run
		if a.mod == 0 {
			plain[a.key] = run // Fyne dispatches shortcuts only with a modifier; bare keys (F1) arrive as typed keys
		} else {
			s.win.Canvas().AddShortcut(sc, func(fyne.Shortcut) { run() })
		}
		item := fyne.NewMenuItem(a.label, run)
		item.Shortcut = sc
		items = append(items, item)
	}
	s.win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		if run, ok := plain[e.Name]; ok {
			run()
		}
	})
	s.win.SetMainMenu(fyne.NewMainMenu(
		fyne.NewMenu("File", items[0], items[2]),
		fyne.NewMenu("View", items[1], items[3], items[4], fyne.NewMenuItemSeparator(), items[5]),
		fyne.NewMenu("Help", items[7], items[8], items[9], fyne.NewMenuItemSeparator(), items[6]),
	))
}

func (s *Shell) showAbout() {
	api := "not running"
	if s.env.API != nil {
		if st := s.env.API(); st.Endpoint != "" {
			api = st.Endpoint
		} else if st.Err != "" {
			api = st.Err
		}
	}
	body := container.NewVBox(
		widget.NewLabelWithStyle("Shardlab "+s.env.Version, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("A local Amazon Kinesis workbench: streams, shards and heat you can see."),
		widget.NewForm(
			widget.NewFormItem("Data", ui.Copyable(s.env.DataDir)),
			widget.NewFormItem("Kinesis API", ui.Copyable(api)),
		),
		widget.NewLabelWithStyle("Shortcuts", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(shortcutHelp(s.actions())),
	)
	dialog.NewCustom("About Shardlab", "Close", body, s.win).Show()
}

func shortcutHelp(actions []shortcut) string {
	var lines []string
	for _, a := range actions {
		key := string(a.key)
		if a.mod&fyne.KeyModifierShift != 0 {
			key = "Shift+" + key
		}
		if a.mod&^fyne.KeyModifierShift != 0 {
			key = ui.ModifierName + "+" + key
		}
		lines = append(lines, key+"  —  "+a.label)
	}
	return strings.Join(lines, "\n")
}
