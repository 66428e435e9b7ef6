package metrics

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

// TestAddALineAndSeeTheAlarms: the screen offers the stream's metrics (IncomingRecords first), Add to graph draws
// its line with the records put, and an alarm made on the service shows on the Alarms tab with its state.
func TestAddALineAndSeeTheAlarms(t *testing.T) {
	env := uitest.NewEnv(t)
	ctx := context.Background()
	shards := 1
	if err := env.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "orders", ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
	uitest.Eventually(t, "the stream active", func() bool {
		d, err := env.Engine.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "orders"})
		return err == nil && d.StreamStatus == "ACTIVE"
	})
	uitest.PutJSON(t, env.Engine, "orders", 25)
	svc, err := cloudwatch.Open(ctx, env.Engine, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	env.Metrics = svc
	test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	var s *Screen
	uitest.UI(func() {
		s = New(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1240, 660))
		s.Start()
	})
	t.Cleanup(s.Stop)
	uitest.Eventually(t, "IncomingRecords offered", func() bool {
		return s.metricName.Selected == "IncomingRecords" && s.dims.Selected == "StreamName=orders"
	})
	uitest.UI(func() { test.Tap(uitest.Button(t, s.root, "Add to graph")) })
	uitest.Eventually(t, "the line drawn with the 25 records", func() bool {
		names := s.chart.Series()
		return len(names) == 1 && names[0] == "IncomingRecords orders (Sum, 1 min)"
	})
	threshold := 1.0
	if err := svc.PutMetricAlarm(ctx, cloudwatch.Alarm{AlarmName: "busy", Metric: s.lines[0].metric, Statistic: "Sum", Period: 60,
		EvaluationPeriods: 1, Threshold: threshold, ComparisonOperator: "GreaterThanOrEqualToThreshold"}); err != nil {
		t.Fatal(err)
	}
	uitest.Eventually(t, "the alarm listed", func() bool {
		return len(s.alarms.alarms) == 1 && s.alarms.cell(0, 0) == "busy" && s.alarms.cell(0, 1) != ""
	})
}
