package consumer

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

var bg = context.Background()

const testLease = 300 * time.Millisecond

func openEngine(t *testing.T, path string) *engine.Engine {
	t.Helper()
	opts := engine.Options{Path: path}
	if path == "" {
		opts = engine.Options{InMemory: true}
	}
	eng, err := engine.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() }) // after the workers' cleanups, which run first
	return eng
}

func createStream(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
}

// ledger records what the workers processed, and fails the test if two workers ever process one shard at once.
type ledger struct {
	t      *testing.T
	mu     sync.Mutex
	active map[string]string // shard → worker processing it right now
	seen   map[string]int    // record data → times processed
	order  []string          // record data in processing order
	by     map[string]map[string]bool
}

func newLedger(t *testing.T) *ledger {
	return &ledger{t: t, active: map[string]string{}, seen: map[string]int{}, by: map[string]map[string]bool{}}
}

func (l *ledger) process(worker string) func(context.Context, *Batch) error {
	return func(ctx context.Context, b *Batch) error {
		l.mu.Lock()
		if other, busy := l.active[b.ShardID]; busy {
			l.mu.Unlock()
			l.t.Errorf("%s and %s process %s at the same time", other, worker, b.ShardID)
			return nil
		}
		l.active[b.ShardID] = worker
		l.mu.Unlock()
		time.Sleep(time.Millisecond) // a batch takes a moment: overlaps would show
		l.mu.Lock()
		for _, r := range b.Records {
			l.seen[string(r.Data)]++
			l.order = append(l.order, string(r.Data))
		}
		if l.by[worker] == nil {
			l.by[worker] = map[string]bool{}
		}
		l.by[worker][b.ShardID] = true
		delete(l.active, b.ShardID)
		l.mu.Unlock()
		return b.Checkpoint(ctx)
	}
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

func startWorker(t *testing.T, eng *engine.Engine, name string, l *ledger) (*Worker, context.CancelFunc, chan error) {
	t.Helper()
	w, err := NewWorker(eng, Config{App: "app", Worker: name, Stream: engine.StreamRef{StreamName: "s"},
		LeaseDuration: testLease, Process: l.process(name)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w, cancel, done
}

func putN(t *testing.T, eng *engine.Engine, from, to int) {
	t.Helper()
	var entries []engine.PutRecordsEntry
	for i := from; i < to; i++ {
		key := fmt.Sprintf("key-%d", i%40)
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: key, Data: fmt.Appendf(nil, "%s/%d", key, i)})
		if len(entries) == 500 || i == to-1 {
			out, err := eng.PutRecords(bg, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: "s"}, Records: entries})
			if err != nil || out.FailedRecordCount > 0 {
				t.Fatalf("PutRecords: %v", err)
			}
			entries = nil
		}
	}
}

func owners(t *testing.T, eng *engine.Engine) map[string]int {
	t.Helper()
	sum, _ := eng.DescribeStreamSummary(bg, engine.StreamRef{StreamName: "s"})
	leases, err := Leases(bg, eng, "app", sum.StreamARN)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range leases {
		if !l.Expired(time.Now(), testLease) {
			out[l.Owner]++
		}
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkersShareRebalanceAndFailOver: one worker takes all four shards, a second joins and gets two by handoff,
// the first dies and its leases expire to the second; no shard is ever processed by two workers at once and every
// record is processed.
func TestWorkersShareRebalanceAndFailOver(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 4)
	l := newLedger(t)
	putN(t, eng, 0, 2000)
	a, _, _ := startWorker(t, eng, "a", l)
	eventually(t, "worker a to hold all four shards", func() bool { return owners(t, eng)["a"] == 4 })

	putN(t, eng, 2000, 4000)
	startWorker(t, eng, "b", l)
	eventually(t, "two shards each", func() bool { o := owners(t, eng); return o["a"] == 2 && o["b"] == 2 })
	putN(t, eng, 4000, 6000)

	a.Crash()
	eventually(t, "b to take a's leases after they expire", func() bool { return owners(t, eng)["b"] == 4 })
	putN(t, eng, 6000, 8000)
	eventually(t, "every record processed", func() bool { return l.count() == 8000 })
	for d, n := range l.seen {
		if n > 1 && !strings.HasPrefix(d, "key-") {
			t.Fatalf("bad record %s", d)
		}
	}
}

// TestGracefulLeaveHandsLeasesBack: a worker that stops releases its leases, and the other takes them without
// waiting for them to expire.
func TestGracefulLeaveHandsLeasesBack(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 4)
	l := newLedger(t)
	_, stopA, doneA := startWorker(t, eng, "a", l)
	startWorker(t, eng, "b", l)
	eventually(t, "two shards each", func() bool { o := owners(t, eng); return o["a"] == 2 && o["b"] == 2 })
	stopA()
	<-doneA
	o := owners(t, eng)
	if o["a"] != 0 {
		t.Fatalf("a still holds %d leases after stopping", o["a"])
	}
	eventually(t, "b to hold all four", func() bool { return owners(t, eng)["b"] == 4 })
}

// TestResumeAfterRestart: a worker checkpoints, the process ends, more records arrive, and a new worker on the
// reopened data file starts after the checkpoints: nothing skipped, nothing before the checkpoints again.
func TestResumeAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng := openEngine(t, path)
	createStream(t, eng, "s", 2)
	first := newLedger(t)
	putN(t, eng, 0, 1000)
	_, stop, done := startWorker(t, eng, "w", first)
	eventually(t, "the first 1,000 records", func() bool { return first.count() == 1000 })
	stop()
	<-done
	putN(t, eng, 1000, 1500)
	eng.Close()

	eng = openEngine(t, path)
	second := newLedger(t)
	startWorker(t, eng, "w", second)
	eventually(t, "the 500 records put after the stop", func() bool { return second.count() == 500 })
	time.Sleep(3 * testLease)
	for d := range second.seen {
		n, _ := strconv.Atoi(d[strings.IndexByte(d, '/')+1:])
		if n < 1000 {
			t.Fatalf("record %s was processed again after its checkpoint", d)
		}
	}
}

// TestChildrenWaitForTheirParents: a split while the worker runs; the children's records come after every record
// of their parent, so each key's records are processed in the order they were put.
func TestChildrenWaitForTheirParents(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 1)
	l := newLedger(t)
	putN(t, eng, 0, 1500)
	startWorker(t, eng, "w", l)
	if err := eng.SplitShard(bg, engine.SplitShardInput{StreamRef: engine.StreamRef{StreamName: "s"},
		ShardToSplit: "shardId-000000000000", NewStartingHashKey: "170141183460469231731687303715884105728"}); err != nil {
		t.Fatal(err)
	}
	putN(t, eng, 1500, 3000)
	eventually(t, "every record", func() bool { return l.count() == 3000 })
	l.mu.Lock()
	defer l.mu.Unlock()
	last := map[string]int{}
	for _, d := range l.order {
		key, n, _ := strings.Cut(d, "/")
		i, _ := strconv.Atoi(n)
		if prev, ok := last[key]; ok && i < prev {
			t.Fatalf("key %s: record %d processed after %d", key, i, prev)
		}
		last[key] = i
	}
}

// TestRenewalsNeverFailACheckpoint: with a lease renewed every 10 ms while batches checkpoint, no checkpoint is
// refused — only a change of hands may do that.
func TestRenewalsNeverFailACheckpoint(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 2)
	var mu sync.Mutex
	var failures, batches int
	w, err := NewWorker(eng, Config{App: "app", Worker: "w", Stream: engine.StreamRef{StreamName: "s"},
		LeaseDuration: 30 * time.Millisecond, BatchLimit: 50,
		Process: func(ctx context.Context, b *Batch) error {
			err := b.Checkpoint(ctx)
			mu.Lock()
			batches++
			if err != nil {
				failures++
			}
			mu.Unlock()
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go w.Run(ctx)
	putN(t, eng, 0, 2000)
	eventually(t, "the records processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return batches >= 40
	})
	mu.Lock()
	defer mu.Unlock()
	if failures > 0 {
		t.Fatalf("%d of %d checkpoints refused although the worker never lost its leases", failures, batches)
	}
}

// TestResetCheckpointRereadsWithoutOverlap: a reset to TRIM_HORIZON makes the shard be read again from its start,
// and at no moment by two processors.
func TestResetCheckpointRereadsWithoutOverlap(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 1)
	l := newLedger(t)
	putN(t, eng, 0, 300)
	startWorker(t, eng, "a", l)
	startWorker(t, eng, "b", l)
	eventually(t, "the first read", func() bool { return l.count() == 300 })
	sum, _ := eng.DescribeStreamSummary(bg, engine.StreamRef{StreamName: "s"})
	if err := ResetCheckpoint(bg, eng, "app", sum.StreamARN, "shardId-000000000000", TrimHorizon, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every record read a second time", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, n := range l.seen {
			if n < 2 {
				return false
			}
		}
		return true
	})
}

// TestAtTimestampReadsClosedShardsToo: a new application starting at a past time reads what a since-closed parent
// holds after that time, then its children.
func TestAtTimestampReadsClosedShardsToo(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 1)
	putN(t, eng, 0, 100)
	time.Sleep(10 * time.Millisecond) // arrival times are milliseconds: keep the timestamp clear of both batches
	since := time.Now()
	time.Sleep(10 * time.Millisecond)
	putN(t, eng, 100, 200)
	if err := eng.SplitShard(bg, engine.SplitShardInput{StreamRef: engine.StreamRef{StreamName: "s"},
		ShardToSplit: "shardId-000000000000", NewStartingHashKey: "170141183460469231731687303715884105728"}); err != nil {
		t.Fatal(err)
	}
	putN(t, eng, 200, 300)
	l := newLedger(t)
	w, err := NewWorker(eng, Config{App: "late", Worker: "w", Stream: engine.StreamRef{StreamName: "s"},
		InitialPosition: AtTimestamp, InitialTimestamp: since, LeaseDuration: testLease, Process: l.process("w")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go w.Run(ctx)
	eventually(t, "the 200 records after the timestamp", func() bool { return l.count() == 200 })
	time.Sleep(3 * testLease)
	for d := range l.seen {
		n, _ := strconv.Atoi(d[strings.IndexByte(d, '/')+1:])
		if n < 100 {
			t.Fatalf("record %s is from before the timestamp", d)
		}
	}
}

// TestLatestStartIsPinned: a LATEST start is stored as a sequence number as soon as a worker takes the lease, so
// records put after that are read even if the worker dies before processing them — by the next worker, which would
// otherwise start at its own, later LATEST.
func TestLatestStartIsPinned(t *testing.T) {
	eng := openEngine(t, "")
	createStream(t, eng, "s", 2)
	putN(t, eng, 0, 50) // before the application existed: never read
	stuck := make(chan struct{})
	first, err := NewWorker(eng, Config{App: "app", Worker: "first", Stream: engine.StreamRef{StreamName: "s"},
		InitialPosition: Latest, LeaseDuration: testLease,
		Process: func(ctx context.Context, b *Batch) error { <-stuck; return ctx.Err() }}) // dies holding its batch
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	go first.Run(ctx)
	eventually(t, "both leases pinned to a sequence number", func() bool {
		sum, _ := eng.DescribeStreamSummary(bg, engine.StreamRef{StreamName: "s"})
		leases, _ := Leases(bg, eng, "app", sum.StreamARN)
		pinned := 0
		for _, l := range leases {
			if l.Owner == "first" && l.Checkpoint != Latest {
				pinned++
			}
		}
		return pinned == 2
	})
	putN(t, eng, 50, 80)
	time.Sleep(300 * time.Millisecond)
	first.Crash()
	cancel()
	close(stuck)

	l := newLedger(t)
	startWorker(t, eng, "second", l)
	eventually(t, "the 30 records put after the first worker started", func() bool { return l.count() == 30 })
	time.Sleep(2 * testLease)
	for d := range l.seen {
		n, _ := strconv.Atoi(d[strings.IndexByte(d, '/')+1:])
		if n < 50 {
			t.Fatalf("record %s is from before the application started", d)
		}
	}
}
