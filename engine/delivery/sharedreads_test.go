package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/consumer"
)

// TestTheAppsOwnReadersShareAShardWithoutThrottling runs what the app runs on its sample stream at once — a
// delivery stream, an analytics application and the Records tail — on one shard with Kinesis's read limits on,
// and checks none of them is refused a read: their calls add up to fewer than the shard's 5 a second.
func TestTheAppsOwnReadersShareAShardWithoutThrottling(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	newStream(t, eng, "events", 1)
	d, err := Start(eng, Spec{Name: "to-folder", Source: Source{Stream: "events"},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: t.TempDir()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(bg)
	app, err := analytics.StartApp(eng, analytics.AppSpec{Name: "counts", Source: analytics.Source{Stream: "events"},
		Queries: []analytics.QuerySpec{{Name: "q", Text: "from events select data.n as n"}}},
		analytics.AppState{}, func(analytics.AppState) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer app.Stop()
	tail, err := consumer.NewWorker(eng, consumer.Config{App: "tail", Worker: "w", Stream: engine.StreamRef{StreamName: "events"},
		InitialPosition: consumer.Latest, PollInterval: consumer.SharedPollInterval,
		Process: func(context.Context, *consumer.Batch) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go tail.Run(ctx)

	// Records keep coming for 4 s, a page every 50 ms, so every reader polls on.
	end := time.Now().Add(4 * time.Second)
	for i := 0; time.Now().Before(end); i += 10 {
		putEvents(t, eng, i, i+10)
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, "the delivery stream to read records", func() bool { return d.Metrics().Incoming > 0 })
	var snap engine.MetricsSnapshot
	if err := eng.Metrics(bg, engine.StreamRef{StreamName: "events"}, 10, &snap); err != nil {
		t.Fatal(err)
	}
	var refused uint32
	for _, n := range snap.Shards[0].Series[engine.ReadProvisionedThroughputExceeded] {
		refused += n
	}
	if refused > 0 || d.Metrics().ReadsThrottled > 0 || app.ReadsThrottled() > 0 || tail.ReadsThrottled() > 0 {
		t.Errorf("%d reads refused (delivery %d, analytics %d, tail %d): the app's own readers throttle each other",
			refused, d.Metrics().ReadsThrottled, app.ReadsThrottled(), tail.ReadsThrottled())
	}
}

// TestAReaderSaysWhenOthersTookTheShardsReads hogs the shard's reads from outside and checks the delivery stream
// counts the reads it was refused, so its screen can say so.
func TestAReaderSaysWhenOthersTookTheShardsReads(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	newStream(t, eng, "events", 1)
	d, err := Start(eng, Spec{Name: "to-folder", Source: Source{Stream: "events"},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: t.TempDir()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(bg)
	shard := "shardId-000000000000"
	it, err := eng.GetShardIterator(bg, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: "events"},
		ShardId: shard, ShardIteratorType: engine.IteratorLatest})
	if err != nil {
		t.Fatal(err)
	}
	// A greedy reader: a call every 10 ms, twenty times the shard's limit, takes every call the shard has.
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if out, err := eng.GetRecords(bg, engine.GetRecordsInput{ShardIterator: it}); err == nil {
				it = out.NextShardIterator
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	waitFor(t, "a refused read counted", func() bool {
		putEvents(t, eng, 0, 1)
		return d.Metrics().ReadsThrottled > 0
	})
}
