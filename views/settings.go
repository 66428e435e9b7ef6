package views

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen shows where data lives and the API endpoint, and holds the theme choice.
type settingsScreen struct {
	env   Env
	app   fyne.App
	win   fyne.Window
	size  *widget.Label
	api   *widget.Label
	stopF func()
	root  fyne.CanvasObject
}

func newSettingsScreen(env Env, a fyne.App, win fyne.Window) *settingsScreen {
	s := &settingsScreen{env: env, app: a, win: win, size: widget.NewLabel(""), api: widget.NewLabel("")}
	choices := map[string]string{"Follow the system": ThemeSystem, "Light": ThemeLight, "Dark": ThemeDark}
	themeSel := widget.NewRadioGroup([]string{"Follow the system", "Light", "Dark"}, func(label string) {
		choice := choices[label]
		a.Preferences().SetString(PrefTheme, choice)
		ApplyTheme(a, choice)
	})
	switch a.Preferences().StringWithFallback(PrefTheme, ThemeSystem) {
	case ThemeLight:
		themeSel.SetSelected("Light")
	case ThemeDark:
		themeSel.SetSelected("Dark")
	default:
		themeSel.SetSelected("Follow the system")
	}
	themeSel.Horizontal = true
	limits := env.Engine.ThroughputLimits()
	form := widget.NewForm(
		widget.NewFormItem("Data directory", copyable(env.DataDir)),
		widget.NewFormItem("Database file", copyable(env.Engine.Path())),
		widget.NewFormItem("Database size", s.size),
		widget.NewFormItem("Kinesis API", s.api),
		widget.NewFormItem("Per-shard limits", widget.NewLabel(fmt.Sprintf("write %s and %s, read %s and %s calls/s",
			byteRate(limits.WriteBytesPerSec), rate(limits.WriteRecordsPerSec, "rec/s"),
			byteRate(limits.ReadBytesPerSec), thousands(int64(limits.ReadCallsPerSec))))),
		widget.NewFormItem("Theme", themeSel),
		widget.NewFormItem("Version", widget.NewLabel(env.Version)),
	)
	s.root = container.NewVScroll(container.NewVBox(heading("Settings"), form))
	return s
}

func (s *settingsScreen) Content() fyne.CanvasObject { return s.root }

func (s *settingsScreen) Start() {
	type facts struct {
		size int64
		api  APIStatus
	}
	s.stopF = poll(2*time.Second, func() facts {
		f := facts{size: s.env.Engine.DiskSize()}
		if s.env.API != nil {
			f.api = s.env.API()
		}
		return f
	}, func(f facts) {
		setText(s.size, fmt.Sprintf("%s KiB", thousands(f.size/1024)))
		switch {
		case f.api.Endpoint != "":
			setText(s.api, f.api.Endpoint+"  (aws --endpoint-url "+f.api.Endpoint+" kinesis list-streams)")
		case f.api.Err != "":
			setText(s.api, "not serving: "+f.api.Err)
		default:
			setText(s.api, "not serving (started with --api off)")
		}
	})
}

func (s *settingsScreen) Stop() {
	if s.stopF != nil {
		s.stopF()
	}
}

// heading is a screen's title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
