package dashboard

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui"
)

const wholeStream = "Whole stream"

// faultsPanel is the Faults tab: the engine's fault injection for the stream or one shard, with what was injected
// beside the real throttles, so a workshop can watch a client's retries at work.
type faultsPanel struct {
	d                                     *Dashboard
	target                                *widget.Select
	throttle, internal, unavailable, wait *widget.Entry
	active, counts                        *widget.Label
	targets                               []string
}

func newFaultsPanel(d *Dashboard) *faultsPanel {
	p := &faultsPanel{d: d, throttle: percentEntry(), internal: percentEntry(), unavailable: percentEntry(),
		wait: widget.NewEntry(), active: widget.NewLabel("No faults injected."), counts: widget.NewLabel("")}
	p.active.Wrapping = fyne.TextWrapWord
	p.counts.Wrapping = fyne.TextWrapWord
	p.wait.SetText("0")
	p.wait.Validator = ui.IntInRange(0, 60_000, "added latency (ms)")
	p.target = widget.NewSelect([]string{wholeStream}, nil)
	p.target.SetSelected(wholeStream)
	return p
}

func percentEntry() *widget.Entry {
	e := widget.NewEntry()
	e.SetText("0")
	e.Validator = ui.IntInRange(0, 100, "probability (%)")
	return e
}

func (p *faultsPanel) content() fyne.CanvasObject {
	apply := widget.NewButton("Inject", p.apply)
	apply.Importance = widget.HighImportance
	clearBtn := widget.NewButton("Clear all faults", p.clearAll)
	form := widget.NewForm(
		widget.NewFormItem("Target", p.target),
		&widget.FormItem{Text: "Throttle (%)", Widget: p.throttle, HintText: "calls or records refused with ProvisionedThroughputExceededException"},
		&widget.FormItem{Text: "InternalFailure (%)", Widget: p.internal, HintText: "records (PutRecords) or calls failed with InternalFailure"},
		&widget.FormItem{Text: "ServiceUnavailable (%)", Widget: p.unavailable, HintText: "whole calls failed with ServiceUnavailable"},
		&widget.FormItem{Text: "Added latency (ms)", Widget: p.wait, HintText: "added to every call on the target"},
	)
	help := widget.NewLabel("Faults apply to every client: SDKs through the API, the producers here, and later consumers. " +
		"Injected failures are counted apart from real throttling.")
	help.Wrapping = fyne.TextWrapWord
	return container.NewVScroll(container.NewVBox(help, form, container.NewHBox(apply, clearBtn), ui.Heading("Active"), p.active, p.counts))
}

func (p *faultsPanel) spec() (engine.FaultSpec, error) {
	var s engine.FaultSpec
	for _, f := range []struct {
		e    *widget.Entry
		dst  *float64
		name string
	}{{p.throttle, &s.ThrottleRate, "throttle"}, {p.internal, &s.InternalFailureRate, "InternalFailure"},
		{p.unavailable, &s.ServiceUnavailableRate, "ServiceUnavailable"}} {
		if err := f.e.Validate(); err != nil {
			return s, fmt.Errorf("%s: %w", f.name, err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(f.e.Text))
		*f.dst = float64(n) / 100
	}
	if err := p.wait.Validate(); err != nil {
		return s, err
	}
	ms, _ := strconv.Atoi(strings.TrimSpace(p.wait.Text))
	s.Latency = time.Duration(ms) * time.Millisecond
	return s, nil
}

func (p *faultsPanel) apply() {
	spec, err := p.spec()
	if err != nil {
		ui.ShowError("Inject faults", err, p.d.win)
		return
	}
	shard := ""
	if p.target.Selected != wholeStream {
		shard = p.target.Selected
	}
	ui.Background(func() (struct{}, error) {
		return struct{}{}, p.d.env.Engine.SetFaults(context.Background(), p.d.ref, shard, spec)
	}, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError("Inject faults", err, p.d.win)
		}
	})
}

func (p *faultsPanel) clearAll() {
	ui.Background(func() (struct{}, error) {
		// Read the faults now, not from the last frame, so one injected a moment ago is cleared too.
		faults, err := p.d.env.Engine.Faults(context.Background(), p.d.ref)
		if err != nil {
			return struct{}{}, err
		}
		for shard := range faults {
			if err := p.d.env.Engine.SetFaults(context.Background(), p.d.ref, shard, engine.FaultSpec{}); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	}, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError("Clear faults", err, p.d.win)
		}
	})
}

func (p *faultsPanel) update(m *dashModel) {
	targets := []string{wholeStream}
	for _, r := range m.Rows {
		if r.Open {
			targets = append(targets, r.ID)
		}
	}
	if strings.Join(targets, ",") != strings.Join(p.targets, ",") {
		p.targets = targets
		p.target.SetOptions(targets)
		if !slices.Contains(targets, p.target.Selected) {
			p.target.SetSelected(wholeStream) // the shard chosen was closed by a reshard
		}
	}
	if len(m.Faults) == 0 {
		ui.SetText(p.active, "No faults injected.")
	} else {
		keys := make([]string, 0, len(m.Faults))
		for k := range m.Faults {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []string
		for _, k := range keys {
			f := m.Faults[k]
			name := k
			if k == "" {
				name = "whole stream"
			}
			lines = append(lines, fmt.Sprintf("%s: throttle %s, InternalFailure %s, ServiceUnavailable %s, +%d ms", name,
				ui.Percent(f.ThrottleRate), ui.Percent(f.InternalFailureRate), ui.Percent(f.ServiceUnavailableRate), f.Latency.Milliseconds()))
		}
		ui.SetText(p.active, strings.Join(lines, "\n"))
	}
	var injected, real int
	for _, r := range m.Rows {
		injected += r.Injected
		real += r.WriteThrottles + r.ReadThrottles
	}
	ui.SetText(p.counts, fmt.Sprintf("Last second: %s injected, %s really throttled · last minute: %s injected, %s really throttled",
		ui.Thousands(int64(m.Injected)), ui.Thousands(int64(m.WriteThrottled+m.ReadThrottled)), ui.Thousands(int64(injected)), ui.Thousands(int64(real))))
}
