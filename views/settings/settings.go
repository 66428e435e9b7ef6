// Package settings is the Settings screen: where the data lives, the database's size, the in-app API's endpoint,
// the per-shard limits, the theme choice and the version.
package settings

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui"
)

// Screen shows where data lives and the API endpoint, and holds the theme choice.
type Screen struct {
	env   ui.Env
	app   fyne.App
	win   fyne.Window
	size  *widget.Label
	api   *widget.Label
	sigs  *signatures
	stopF func()
	root  fyne.CanvasObject
}

func New(env ui.Env, a fyne.App, win fyne.Window) *Screen {
	s := &Screen{env: env, app: a, win: win, size: widget.NewLabel(""), api: widget.NewLabel("")}
	choices := map[string]string{"Follow the system": ui.ThemeSystem, "Light": ui.ThemeLight, "Dark": ui.ThemeDark}
	themeSel := widget.NewRadioGroup([]string{"Follow the system", "Light", "Dark"}, func(label string) {
		choice := choices[label]
		a.Preferences().SetString(ui.PrefTheme, choice)
		ui.ApplyTheme(a, ui.CurrentAppearance(a))
	})
	scaleLabel := func(f float64) string { return fmt.Sprintf("%d %%", int(f*100+0.5)) }
	var scaleLabels []string
	for _, f := range ui.TextScales {
		scaleLabels = append(scaleLabels, scaleLabel(f))
	}
	textSize := widget.NewSelect(scaleLabels, func(label string) {
		for _, f := range ui.TextScales {
			if scaleLabel(f) == label {
				a.Preferences().SetFloat(ui.PrefTextScale, f)
			}
		}
		ui.ApplyTheme(a, ui.CurrentAppearance(a))
	})
	textSize.SetSelected(scaleLabel(ui.CurrentAppearance(a).TextScale))
	switch a.Preferences().StringWithFallback(ui.PrefTheme, ui.ThemeSystem) {
	case ui.ThemeLight:
		themeSel.SetSelected("Light")
	case ui.ThemeDark:
		themeSel.SetSelected("Dark")
	default:
		themeSel.SetSelected("Follow the system")
	}
	themeSel.Horizontal = true
	s.sigs = newSignatures(env, win)
	limits := env.Engine.ThroughputLimits()
	form := widget.NewForm(
		widget.NewFormItem("Data directory", ui.Copyable(env.DataDir)),
		widget.NewFormItem("Database file", ui.Copyable(env.Engine.Path())),
		widget.NewFormItem("Database size", s.size),
		widget.NewFormItem("Kinesis API", s.api),
		&widget.FormItem{Text: "Signatures", Widget: s.sigs.content(),
			HintText: "kept across restarts; SDKs and the CLI sign with the credentials shown (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"},
		widget.NewFormItem("Per-shard limits", widget.NewLabel(fmt.Sprintf("write %s and %s, read %s and %s calls/s",
			ui.ByteRate(limits.WriteBytesPerSec), ui.Rate(limits.WriteRecordsPerSec, "rec/s"),
			ui.ByteRate(limits.ReadBytesPerSec), ui.Thousands(int64(limits.ReadCallsPerSec))))),
		widget.NewFormItem("Theme", themeSel),
		&widget.FormItem{Text: "Text size", Widget: textSize,
			HintText: "kept across restarts; View > Presentation mode (" + ui.ModifierName + "+Shift+P) makes it 150 % or more"},
		widget.NewFormItem("Version", widget.NewLabel(env.Version)),
	)
	s.root = container.NewVScroll(container.NewVBox(ui.Heading("Settings"), form))
	return s
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

func (s *Screen) Start() {
	type facts struct {
		size int64
		api  ui.APIStatus
	}
	s.stopF = ui.Poll(2*time.Second, func() facts {
		f := facts{size: s.env.Engine.DiskSize()}
		if s.env.API != nil {
			f.api = s.env.API()
		}
		return f
	}, func(f facts) {
		ui.SetText(s.size, fmt.Sprintf("%s KiB", ui.Thousands(f.size/1024)))
		switch {
		case f.api.Endpoint != "":
			ui.SetText(s.api, f.api.Endpoint+"  (aws --endpoint-url "+f.api.Endpoint+" kinesis list-streams)")
		case f.api.Err != "":
			ui.SetText(s.api, "not serving: "+f.api.Err)
		default:
			ui.SetText(s.api, "not serving (started with --api off)")
		}
		s.sigs.show(f.api)
	})
}

func (s *Screen) Stop() {
	if s.stopF != nil {
		s.stopF()
	}
}
