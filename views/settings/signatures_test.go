package settings

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

// TestSignaturesSettingTurnsCheckingOnAndShowsTheKeys taps Verify: the app is asked to check signatures, and once
// its API says it does, the root credentials to sign with are shown.
func TestSignaturesSettingTurnsCheckingOnAndShowsTheKeys(t *testing.T) {
	env := uitest.NewEnv(t)
	state := ui.APIStatus{Endpoint: "http://127.0.0.1:4567", Auth: "off"}
	asked := make(chan string, 1)
	env.API = func() ui.APIStatus { return state }
	env.SetAPIAuth = func(mode string) error { asked <- mode; return nil }
	a := test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	var s *Screen
	uitest.UI(func() {
		s = New(env, a, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1000, 700))
		s.sigs.show(state)
	})
	uitest.UI(func() { s.sigs.mode.SetSelected(sigVerify) }) // what a tap on the radio does
	if mode := <-asked; mode != "verify" {
		t.Fatalf("asked for %q", mode)
	}
	state = ui.APIStatus{Endpoint: state.Endpoint, Auth: "verify", RootAccessKeyID: "AKIASHOWN", RootSecret: "s3cret"}
	uitest.UI(func() { s.sigs.show(state) })
	var shown bool
	uitest.UI(func() {
		_, shown = uitest.Find(s.Content(), func(l *widget.Label) bool { return l.Text == "AKIASHOWN" })
	})
	if !shown {
		t.Error("the root access key is not shown while signatures are checked")
	}
	// The poll reporting the same mode again does not ask again.
	uitest.UI(func() { s.sigs.show(state) })
	select {
	case mode := <-asked:
		t.Errorf("asked again for %q", mode)
	default:
	}
}
