package consumer

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Two applications on one shard with limits on, records trickling in: at the default spacing each could take all 5
// calls a second and they would throttle each other; spaced at 500 ms and 1 s (3 calls/s between them) neither is
// ever refused, and both still read everything.
func TestPollIntervalLeavesReadsForOthers(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	createStream(t, eng, "s", 1)
	var got [2]atomic.Int64
	var workers [2]*Worker
	for i, interval := range []time.Duration{500 * time.Millisecond, time.Second} {
		w, err := NewWorker(eng, Config{App: []string{"fast", "tail"}[i], Worker: "w", Stream: engine.StreamRef{StreamName: "s"},
			PollInterval: interval, Process: func(ctx context.Context, b *Batch) error {
				got[i].Add(int64(len(b.Records)))
				return b.Checkpoint(ctx)
			}})
		if err != nil {
			t.Fatal(err)
		}
		workers[i] = w
		ctx, cancel := context.WithCancel(bg)
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	const puts = 60
	for i := range puts { // a record every 50 ms for 3 s: every poll finds something new
		putN(t, eng, i, i+1)
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, "both applications to read every record", func() bool {
		return got[0].Load() == puts && got[1].Load() == puts
	})
	var snap engine.MetricsSnapshot
	if err := eng.Metrics(bg, engine.StreamRef{StreamName: "s"}, 10, &snap); err != nil {
		t.Fatal(err)
	}
	var refused uint32
	for _, v := range snap.Shards[0].Series[engine.ReadProvisionedThroughputExceeded] {
		refused += v
	}
	if refused != 0 {
		t.Errorf("%d reads refused over the limit; the spaced readers should fit in 5 calls/s", refused)
	}
	for i, w := range workers {
		for _, st := range w.Status() {
			if st.Throttled != 0 {
				t.Errorf("worker %d counts %d throttled reads", i, st.Throttled)
			}
		}
	}
}
