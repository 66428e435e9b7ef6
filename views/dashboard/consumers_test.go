package dashboard

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func workshopOwners(d *Dashboard) map[string]int {
	out := map[string]int{}
	for _, l := range d.cons.model.Workshop {
		if !l.Expired(time.Now(), workshopLease) {
			out[l.Owner]++
		}
	}
	return out
}

// TestConsumersTabWorkshopFailover: the workshop's two workers split four shards, the table and the shard cards
// say so; killing worker-1 moves its leases to worker-2 once they expire.
func TestConsumersTabWorkshopFailover(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	ctx := context.Background()
	n := 4
	if err := env.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "s", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1280, 800))
	d.Start()
	defer d.Stop()

	uitest.UI(func() { test.Tap(d.cons.workshop.start) })
	split := func() bool { o := workshopOwners(d); return o["worker-1"] == 2 && o["worker-2"] == 2 }
	uitest.Eventually(t, "two shards for each worker", split)
	uitest.Eventually(t, "a card per shard and a table row per lease", func() bool {
		rows := 0
		for _, r := range d.cons.model.Rows {
			if r.Consumer == workshopApp && r.Kind == kindPolling && (r.Owner == "worker-1" || r.Owner == "worker-2") {
				rows++
			}
		}
		return len(d.cons.workshop.cards.Objects) == 4 && rows == 4
	})
	if names := d.cons.chart.Names(); len(names) != 1 || names[0] != workshopApp {
		t.Fatalf("lag chart lines %v, want the workshop application", names)
	}

	uitest.UI(func() { test.Tap(d.cons.workshop.kill) })
	if d.cons.workshop.kill.Text != "Restart worker-1" {
		t.Fatalf("kill button reads %q", d.cons.workshop.kill.Text)
	}
	uitest.Eventually(t, "worker-2 holding all four shards after worker-1's leases expire", func() bool {
		return workshopOwners(d)["worker-2"] == 4
	})
	uitest.UI(func() { test.Tap(d.cons.workshop.kill) }) // worker-1 comes back and gets its share by handoff
	uitest.Eventually(t, "two shards each again", split)
}

// TestConsumersTabShowsFanOutSessionsAndLag: a registered consumer with an open subscription is listed per shard,
// and a polling application's backlog is counted.
func TestConsumersTabShowsFanOutSessionsAndLag(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	ctx := context.Background()
	n := 1
	eng := env.Engine
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: "s", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	sum, _ := eng.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: "s"})
	c, err := eng.RegisterStreamConsumer(ctx, sum.StreamARN, "efo-app")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := eng.SubscribeToShard(ctx, engine.SubscribeToShardInput{ConsumerARN: c.ConsumerARN,
		ShardId: "shardId-000000000000", StartingPosition: engine.StartingPosition{Type: engine.IteratorTrimHorizon}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := range 25 {
		if _, err := eng.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: "s"},
			PartitionKey: "k", Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// A polling application that has read nothing yet: its lease starts at TRIM_HORIZON, 25 records behind.
	w, err := consumer.NewWorker(eng, consumer.Config{App: "slow", Worker: "w", Stream: engine.StreamRef{StreamName: "s"},
		Process: func(ctx context.Context, b *consumer.Batch) error { <-ctx.Done(); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.Run(wctx)

	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	d.Start()
	defer d.Stop()
	uitest.Eventually(t, "both consumers in the table", func() bool {
		var efo, slow bool
		for _, r := range d.cons.model.Rows {
			efo = efo || r.Consumer == "efo-app" && r.Kind == kindFanOut && r.Owner == "subscribed" && r.Behind == 25
			slow = slow || r.Consumer == "slow" && r.Kind == kindPolling && r.Owner == "w" && r.Behind == 25 && r.Age > 0
		}
		return efo && slow
	})

	// The reset form's positions parse as the library expects them.
	if p, _, err := resetPosition(resetTrimHorizon, ""); err != nil || p != consumer.TrimHorizon {
		t.Fatalf("TRIM_HORIZON: %s, %v", p, err)
	}
	if _, _, err := resetPosition(resetTimestamp, "yesterday"); err == nil {
		t.Fatal("a bad timestamp was accepted")
	}
	if _, at, err := resetPosition(resetTimestamp, "2026-11-26T09:00:00Z"); err != nil || at.Hour() != 9 {
		t.Fatalf("timestamp: %v, %v", at, err)
	}
}
