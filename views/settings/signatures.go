package settings

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui"
)

// The signature modes as the Settings screen offers them.
const (
	sigOff    = "Off: any signature, or none, is accepted"
	sigVerify = "Verify: AWS SigV4 with the root credentials below"
)

// signatures is the in-app API's signature setting and, when checking, the root credentials to sign with.
type signatures struct {
	env     ui.Env
	win     fyne.Window
	mode    *widget.RadioGroup
	keys    *fyne.Container
	shown   string // the mode the radio shows, so an update from the poll does not call back into SetAPIAuth
	applied bool
}

func newSignatures(env ui.Env, win fyne.Window) *signatures {
	g := &signatures{env: env, win: win, keys: container.NewVBox()}
	g.mode = widget.NewRadioGroup([]string{sigOff, sigVerify}, func(choice string) {
		if choice == "" || choice == g.shown || env.SetAPIAuth == nil {
			return
		}
		mode := "off"
		if choice == sigVerify {
			mode = "verify"
		}
		prev := g.shown
		g.shown = choice
		// Making the root key writes a file the first time: off the UI goroutine.
		ui.Background(func() (struct{}, error) { return struct{}{}, env.SetAPIAuth(mode) }, func(_ struct{}, err error) {
			if err != nil {
				g.shown = prev
				g.mode.SetSelected(prev)
				ui.ShowError("Check signatures", err, win)
			}
		})
	})
	if env.SetAPIAuth == nil {
		g.mode.Disable()
	}
	return g
}

func (g *signatures) content() fyne.CanvasObject { return container.NewVBox(g.mode, g.keys) }

// show reflects the API's state: the mode, and the root credentials while checking.
func (g *signatures) show(st ui.APIStatus) {
	want := sigOff
	if st.Auth == "verify" {
		want = sigVerify
	}
	if want != g.shown || !g.applied {
		g.shown, g.applied = want, true
		g.mode.SetSelected(want)
	}
	if st.Auth != "verify" {
		if len(g.keys.Objects) > 0 {
			g.keys.Objects = nil
			g.keys.Refresh()
		}
		return
	}
	if len(g.keys.Objects) == 0 {
		g.keys.Objects = []fyne.CanvasObject{
			widget.NewForm(widget.NewFormItem("AWS_ACCESS_KEY_ID", ui.Copyable(st.RootAccessKeyID)),
				widget.NewFormItem("AWS_SECRET_ACCESS_KEY", ui.Copyable(st.RootSecret))),
		}
		g.keys.Refresh()
	}
}
