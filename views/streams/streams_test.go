package streams

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

func TestCreateStreamFromTheStreamsScreen(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	win.Resize(fyne.NewSize(1200, 800))
	s := New(env, win, func(string) {})
	win.SetContent(s.Content())
	s.Start()
	defer s.Stop()

	uitest.UI(func() {
		test.Tap(uitest.Button(t, s.Content(), "New stream…"))
		form := win.Canvas().Overlays().Top()
		if form == nil {
			t.Fatal("New stream… opened no dialog")
		}
		name, _ := uitest.Find(form, func(e *widget.Entry) bool { return e.PlaceHolder == "orders" })
		test.Type(name, "orders")
		shards, _ := uitest.Find(form, func(e *widget.Entry) bool { return e.Text == "4" })
		shards.SetText("")
		test.Type(shards, "3")
		test.Tap(uitest.Button(t, form, "Create"))
	})

	uitest.Eventually(t, "orders in the list", func() bool {
		for _, l := range s.Lines() {
			if l.StreamName == "orders" && l.OpenShardCount == 3 {
				return true
			}
		}
		return false
	})
	uitest.UI(func() {
		if got := s.cell(widget.TableCellID{Row: 0, Col: 2}); got != "3 / 0" {
			t.Errorf("shards cell = %q", got)
		}
	})
}

func TestCreateStreamFormRefusesWhatKinesisWould(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name, shards, retention string
		bad                     string
	}{
		{"", "1", "24", "name"},
		{"has space", "1", "24", "name"},
		{strings.Repeat("a", 129), "1", "24", "name"},
		{"ok", "0", "24", "shards"},
		{"ok", "501", "24", "shards"},
		{"ok", "x", "24", "shards"},
		{"ok", "2", "23", "retention"},
		{"ok", "2", "8761", "retention"},
	} {
		f := newCreateStreamForm()
		f.name.SetText(tc.name)
		f.shards.SetText(tc.shards)
		f.retention.SetText(tc.retention)
		errs := map[string]error{"name": f.name.Validate(), "shards": f.shards.Validate(), "retention": f.retention.Validate()}
		for field, err := range errs {
			if (field == tc.bad) != (err != nil) {
				t.Errorf("%+v: %s error = %v", tc, field, err)
			}
		}
	}
	f := newCreateStreamForm()
	f.mode.SetSelected(modeOnDemandLabel)
	if in := f.input(); in.StreamMode != engine.ModeOnDemand || in.ShardCount != nil || !f.shards.Disabled() {
		t.Errorf("on-demand input %+v", in)
	}
}

// The name is judged while it is typed, not when the field loses focus: no ✓ beside "my stream!", and the form
// refuses to submit at once.
func TestStreamNameIsValidatedAsYouType(t *testing.T) {
	test.NewTempApp(t)
	f := newCreateStreamForm()
	form := widget.NewForm(f.items...)
	form.OnSubmit = func() {}
	win := test.NewTempWindow(t, form)
	win.Resize(fyne.NewSize(600, 300))
	win.Canvas().Focus(f.name)
	confirmed := func() bool {
		_, ok := uitest.Find(f.name, func(i *canvas.Image) bool {
			return i.Visible() && i.Resource != nil && i.Resource.Name() == theme.ConfirmIcon().Name()
		})
		return ok
	}
	test.Type(f.name, "my-stream")
	if !confirmed() {
		t.Error("a valid name has no ✓")
	}
	test.Type(f.name, " !")
	if confirmed() {
		t.Error(`"my-stream !" keeps its ✓ while typed`)
	}
	if submit := uitest.Button(t, form, "Submit"); !submit.Disabled() {
		t.Error("Submit is enabled with an invalid name")
	}
}
