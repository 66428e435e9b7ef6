package shell

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui"
)

// statusBar is the line under every screen: the live API endpoint, the whole engine's traffic, the data location.
type statusBar struct {
	env   ui.Env
	api   *widget.Label
	rates *widget.Label
	data  *widget.Label
	stopF func()
}

func newStatusBar(env ui.Env) *statusBar {
	b := &statusBar{env: env, api: widget.NewLabel(""), rates: widget.NewLabel(""), data: widget.NewLabel("data: " + env.DataDir)}
	b.data.Truncation = fyne.TextTruncateEllipsis
	b.data.Alignment = fyne.TextAlignTrailing
	return b
}

func (b *statusBar) content() fyne.CanvasObject {
	return container.NewBorder(widget.NewSeparator(), nil, container.NewHBox(b.api, b.rates), nil,
		b.data)
}

// totals are the engine-wide figures of the last complete second.
type totals struct {
	api            ui.APIStatus
	records        float64
	writeThrottled int
	readThrottled  int
}

func (b *statusBar) start() {
	b.stopF = ui.Poll(time.Second, b.fetch, b.apply)
}

func (b *statusBar) stop() {
	if b.stopF != nil {
		b.stopF()
	}
}

func (b *statusBar) fetch() totals {
	var t totals
	if b.env.API != nil {
		t.api = b.env.API()
	}
	var snap engine.MetricsSnapshot
	for _, st := range b.env.Engine.Streams() {
		if err := b.env.Engine.Metrics(context.Background(), engine.StreamRef{StreamName: st.StreamName}, 2, &snap); err != nil {
			continue
		}
		for _, sh := range snap.Shards {
			t.records += float64(sh.Series[engine.IncomingRecords][0])
			t.writeThrottled += int(sh.Series[engine.WriteProvisionedThroughputExceeded][0])
			t.readThrottled += int(sh.Series[engine.ReadProvisionedThroughputExceeded][0])
		}
	}
	return t
}

func (b *statusBar) apply(t totals) {
	switch {
	case t.api.Endpoint != "":
		ui.SetText(b.api, "Kinesis API "+t.api.Endpoint)
	case t.api.Err != "":
		ui.SetText(b.api, "Kinesis API off: "+t.api.Err)
	default:
		ui.SetText(b.api, "Kinesis API off")
	}
	ui.SetText(b.rates, "· "+ui.Rate(t.records, "rec/s in")+" · writes throttled "+ui.Thousands(int64(t.writeThrottled))+
		"/s · reads throttled "+ui.Thousands(int64(t.readThrottled))+"/s")
}
