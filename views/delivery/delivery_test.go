package delivery

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

// TestDeliveryScreenShowsMetricsAndStopsAndStarts: an imported pipeline's row shows its state and counts; Stop and
// Start on the selected row change its state.
func TestDeliveryScreenShowsMetricsAndStopsAndStarts(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	if err := env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	mgr, err := delivery.OpenManager(env.Engine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Close)
	env.Deliveries = mgr
	zero := 0
	spec := delivery.Spec{Name: "archive", Source: delivery.Source{Stream: "s", Start: engine.IteratorTrimHorizon},
		Processors: []delivery.Processor{{Kind: delivery.Newline}}, Buffer: delivery.Buffer{IntervalSeconds: &zero},
		Destinations: []delivery.Destination{{Kind: delivery.Folder, Path: t.TempDir()}}}
	if err := mgr.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	uitest.PutJSON(t, env.Engine, "s", 25)

	var s *Screen
	uitest.UI(func() { // the screen's poll hands results to the UI from the start
		win := test.NewTempWindow(t, widget.NewLabel(""))
		s = New(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1200, 700))
		s.Start()
	})
	defer uitest.UI(s.Stop)
	uitest.Eventually(t, "the row with 25 delivered", func() bool {
		return len(s.infos) == 1 && s.infos[0].State == delivery.StateActive && s.infos[0].Metrics.Delivered == 25
	})
	uitest.UI(func() { s.table.Select(widget.TableCellID{Row: 0, Col: 0}) })
	uitest.Eventually(t, "Stop enabled", func() bool { return s.selected == "archive" && !s.stop.Disabled() && s.start.Disabled() })
	uitest.UI(func() { test.Tap(s.stop) })
	uitest.Eventually(t, "STOPPED", func() bool { return len(s.infos) == 1 && s.infos[0].State == delivery.StateStopped })
	uitest.UI(func() { test.Tap(s.start) })
	uitest.Eventually(t, "ACTIVE again", func() bool { return len(s.infos) == 1 && s.infos[0].State == delivery.StateActive })
	if got := deliveryCell(&s.infos[0], 9); got == "" {
		t.Fatal("no destination summary")
	}
}

// TestDetailSaysWhenReadsWereRefused: a delivery stream whose source reads the shard refused says so, and why.
func TestDetailSaysWhenReadsWereRefused(t *testing.T) {
	info := &delivery.Info{Spec: delivery.Spec{Name: "clicks"}, State: delivery.StateActive,
		Metrics: delivery.Metrics{Incoming: 10}}
	if got := detailText(info); strings.Contains(got, "throttled") {
		t.Errorf("no read was refused, yet:\n%s", got)
	}
	info.Metrics.ReadsThrottled = 12
	if got := detailText(info); !strings.Contains(got, "Source reads throttled: 12 (a shard serves 5 GetRecords calls a second") {
		t.Errorf("12 refused reads not said:\n%s", got)
	}
}
