package streams

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui"
)

// streamNamePattern is Kinesis's rule for stream names (1–128 of letters, digits, "_", "." and "-").
var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func validateStreamName(s string) error {
	switch {
	case s == "":
		return errors.New("a name is needed")
	case len(s) > 128:
		return fmt.Errorf("%d characters: at most 128", len(s))
	case !streamNamePattern.MatchString(s):
		return errors.New("only letters, digits, _ . and -")
	}
	return nil
}

// Capacity modes as the form shows them.
const (
	modeProvisionedLabel = "Provisioned"
	modeOnDemandLabel    = "On-demand"
)

// createStreamForm is the New stream dialog's fields, kept apart so tests can fill and submit them.
type createStreamForm struct {
	name, shards, retention *widget.Entry
	mode                    *widget.RadioGroup
	items                   []*widget.FormItem
}

func newCreateStreamForm() *createStreamForm {
	f := &createStreamForm{name: widget.NewEntry(), shards: widget.NewEntry(), retention: widget.NewEntry()}
	f.name.SetPlaceHolder("orders")
	f.name.Validator = validateStreamName
	// Fyne shows a field's error only once it loses focus, so "my stream!" sat beside a green ✓ while typed; from
	// the first keystroke on, the name is judged as it is typed.
	f.name.OnChanged = func(string) {
		if !f.name.AlwaysShowValidationError {
			f.name.AlwaysShowValidationError = true
			f.name.Validate()
		}
	}
	f.shards.SetText("4")
	f.shards.Validator = ui.IntInRange(1, 500, "shard count")
	f.retention.SetText("24")
	f.retention.Validator = ui.IntInRange(24, 8760, "retention (hours)")
	f.mode = widget.NewRadioGroup([]string{modeProvisionedLabel, modeOnDemandLabel}, func(m string) {
		if m == modeOnDemandLabel {
			f.shards.Disable()
		} else {
			f.shards.Enable()
		}
	})
	f.mode.Horizontal = true
	f.mode.Required = true
	f.mode.SetSelected(modeProvisionedLabel)
	f.items = []*widget.FormItem{
		{Text: "Name", Widget: f.name, HintText: "1–128 letters, digits, _ . -"},
		{Text: "Capacity", Widget: f.mode},
		{Text: "Shards", Widget: f.shards, HintText: "provisioned: 1–500; each takes 1 MiB/s or 1,000 records/s in"},
		{Text: "Retention (hours)", Widget: f.retention, HintText: "24 (1 day) to 8,760 (365 days)"},
	}
	return f
}

func (f *createStreamForm) input() engine.CreateStreamInput {
	in := engine.CreateStreamInput{StreamName: strings.TrimSpace(f.name.Text), StreamMode: engine.ModeProvisioned}
	in.RetentionHours, _ = strconv.Atoi(strings.TrimSpace(f.retention.Text))
	if f.mode.Selected == modeOnDemandLabel {
		in.StreamMode = engine.ModeOnDemand
	} else {
		n, _ := strconv.Atoi(strings.TrimSpace(f.shards.Text))
		in.ShardCount = &n
	}
	return in
}

// ShowCreateStream opens the New stream dialog; done runs after a successful create.
func ShowCreateStream(env ui.Env, win fyne.Window, done func()) {
	openCreateForm(env, win, newCreateStreamForm(), done)
}

// openCreateForm shows f in a dialog. When the engine refuses the stream, the error is explained and the same
// form, with what was typed, comes back.
func openCreateForm(env ui.Env, win fyne.Window, f *createStreamForm, done func()) {
	d := dialog.NewForm("New stream", "Create", "Cancel", f.items, func(ok bool) {
		if !ok {
			return
		}
		in := f.input()
		ui.Background(func() (struct{}, error) {
			return struct{}{}, env.Engine.CreateStream(context.Background(), in)
		}, func(_ struct{}, err error) {
			if err != nil {
				title, text := ui.Explain(err)
				info := dialog.NewInformation("Create "+in.StreamName+": "+strings.ToLower(title[:1])+title[1:], text, win)
				info.SetOnClosed(func() { openCreateForm(env, win, f, done) })
				info.Show()
				return
			}
			if done != nil {
				done()
			}
		})
	}, win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
	win.Canvas().Focus(f.name)
}

// showRetention changes a stream's retention: up with IncreaseStreamRetentionPeriod, down with Decrease, as Kinesis
// has no single call.
func showRetention(env ui.Env, win fyne.Window, st engine.StreamSummary, done func()) {
	e := widget.NewEntry()
	e.SetText(strconv.Itoa(st.RetentionPeriodHours))
	e.Validator = ui.IntInRange(24, 8760, "retention (hours)")
	items := []*widget.FormItem{{Text: "Retention (hours)", Widget: e, HintText: "24 to 8,760; lowering it drops older records"}}
	dialog.ShowForm("Retention of "+st.StreamName, "Change", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		hours, _ := strconv.Atoi(strings.TrimSpace(e.Text))
		ref := engine.StreamRef{StreamName: st.StreamName}
		ui.Background(func() (struct{}, error) {
			switch {
			case hours > st.RetentionPeriodHours:
				return struct{}{}, env.Engine.IncreaseStreamRetentionPeriod(context.Background(), ref, hours)
			case hours < st.RetentionPeriodHours:
				return struct{}{}, env.Engine.DecreaseStreamRetentionPeriod(context.Background(), ref, hours)
			}
			return struct{}{}, nil
		}, func(_ struct{}, err error) {
			if err != nil {
				ui.ShowError("Change retention of "+st.StreamName, err, win)
			}
			done()
		})
	}, win)
}
