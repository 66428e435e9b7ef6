package shell

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

// Presentation mode (Ctrl+Shift+P) makes the type 1.5× or more, swaps in the high-contrast palette, hides the
// navigation and the status bar, and still fits a 1280×720 projector; off again, the frame is back. The text size
// chosen in Settings is a preference and is applied at start.
func TestPresentationModeEnlargesAndHidesTheChrome(t *testing.T) {
	env := fullEnv(t)
	createStream(t, env.Engine, "talk", 8)
	a := test.NewTempApp(t)
	uitest.UI(func() { ui.ApplyTheme(a, ui.CurrentAppearance(a)) })
	base := theme.Size(theme.SizeNameText)
	s, win := openShell(t, a, env, fyne.NewSize(1280, 720))
	uitest.UI(func() { s.Select(navStream + "talk") })
	hasNav := func() bool { // walks the widgets, so under the UI lock: the dashboard's pollers refresh them meanwhile
		var ok bool
		uitest.UI(func() { _, ok = uitest.Find(win.Content(), func(tr *widget.Tree) bool { return tr == s.nav }) })
		return ok
	}
	if !hasNav() {
		t.Fatal("no navigation before presentation mode")
	}
	found := false
	for _, act := range s.actions() {
		if act.label == "Presentation mode" && act.key == fyne.KeyP && act.mod == fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift {
			found = true
		}
	}
	if !found {
		t.Fatal("no Presentation mode action on Ctrl+Shift+P")
	}
	uitest.UI(s.togglePresentation)
	if got := theme.Size(theme.SizeNameText); got < 1.5*base {
		t.Errorf("presentation text size %v, want ≥ 1.5 × %v", got, base)
	}
	if bg := a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark); bg != color.Black {
		t.Errorf("presentation background (dark) %v, want black", bg)
	}
	if hasNav() {
		t.Error("the navigation shows in presentation mode")
	}
	var min fyne.Size
	uitest.UI(func() { min = win.Content().MinSize() })
	if min.Width > 1280 || min.Height > 720 {
		t.Errorf("the dashboard in presentation mode asks for %v", min)
	}
	uitest.UI(s.togglePresentation)
	if !hasNav() || theme.Size(theme.SizeNameText) != base {
		t.Error("presentation mode off did not bring the frame and the text size back")
	}

	// The Settings text size persists: applied from the preferences at start.
	a.Preferences().SetFloat(ui.PrefTextScale, 1.25)
	uitest.UI(func() { ui.ApplyTheme(a, ui.CurrentAppearance(a)) })
	if got := theme.Size(theme.SizeNameText); got != 1.25*base {
		t.Errorf("text size from the preference: %v, want %v", got, 1.25*base)
	}
}
