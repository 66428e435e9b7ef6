package consumer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// DefaultLeaseDuration is how long a lease stays with a worker that stopped renewing it (the KCL's failover time).
const DefaultLeaseDuration = 10 * time.Second

// ErrLeaseLost is returned by a checkpoint made after the lease went to another worker (or was reset).
var ErrLeaseLost = errors.New("the lease is no longer held by this worker")

// Config describes one worker of a consumer application.
type Config struct {
	// App names the application; its workers share one lease table per stream.
	App string
	// Worker names this worker; unique among the application's workers.
	Worker string
	// Stream is the stream consumed.
	Stream engine.StreamRef
	// InitialPosition is where a new application starts: TrimHorizon (default), Latest or AtTimestamp.
	InitialPosition  string
	InitialTimestamp time.Time
	// LeaseDuration is how long a lease outlives its holder's last renewal (default 10 s); leases are renewed
	// three times per duration.
	LeaseDuration time.Duration
	// BatchLimit caps the records per GetRecords call (default 10,000).
	BatchLimit int
	// PollInterval is the shortest time between two GetRecords calls on one shard while caught up (default 200 ms,
	// all of Kinesis's 5 calls/s). A reader that shares its shards with others takes more — the KCL's
	// idleTimeBetweenReadsInMillis is 1 s — so it leaves them calls to make.
	PollInterval time.Duration
	// Process handles one batch of one shard; batches of a shard never overlap. Call Batch.Checkpoint once the
	// records are safely handled. An error retries the same batch after a pause.
	Process func(ctx context.Context, b *Batch) error
	// DeferShardEnd is for a Process that checkpoints later than it returns (a buffering consumer): the last page
	// of a closed shard comes as a batch with Final set, possibly empty, and the shard is marked SHARD_END — and its
	// children become available — only when that batch is checkpointed. Without it the worker marks SHARD_END as
	// soon as Process returns from the last page.
	DeferShardEnd bool
}

// Batch is one GetRecords page handed to Config.Process.
type Batch struct {
	ShardID            string
	Records            []engine.Record
	MillisBehindLatest int64
	w                  *Worker
	final              bool
}

// Final reports whether this is the last batch of a closed shard (only with Config.DeferShardEnd).
func (b *Batch) Final() bool { return b.final }

// Checkpoint records that every record of the batch is processed: a restart, or another worker taking the shard,
// resumes after the last of them. The final batch of a closed shard (DeferShardEnd) marks the shard finished.
func (b *Batch) Checkpoint(ctx context.Context) error {
	if b.final {
		b.w.mu.Lock()
		h := b.w.held[b.ShardID]
		b.w.mu.Unlock()
		if h == nil {
			return fmt.Errorf("finish %s: %w", b.ShardID, ErrLeaseLost)
		}
		return b.w.finishShard(ctx, h)
	}
	if len(b.Records) == 0 {
		return nil
	}
	return b.w.checkpoint(ctx, b.ShardID, b.Records[len(b.Records)-1].SequenceNumber)
}

// CheckpointAt records that the shard's records up to and including seq (one of this shard's, at or before this
// batch's) are processed: for processors that hold state across batches, such as open windows, so that a restart
// resumes early enough to rebuild that state. An empty seq does nothing.
func (b *Batch) CheckpointAt(ctx context.Context, seq string) error {
	if seq == "" {
		return nil
	}
	return b.w.checkpoint(ctx, b.ShardID, seq)
}

// ShardStatus is what a worker reports of a shard it holds.
type ShardStatus struct {
	ShardID            string
	Processed          uint64 // records handed to Process since the worker took the shard
	MillisBehindLatest int64
	Errors             uint64 // failed Process and GetRecords calls
	Throttled          uint64 // GetRecords calls refused over the shard's read limit, counted in Errors too
	LastError          string
}

// Worker is one process of a consumer application. Run it; cancel its context to stop it gracefully (its leases
// are released at once), or Crash it to leave them to expire as a dead worker's would.
type Worker struct {
	eng       *engine.Engine
	cfg       Config
	ns        string
	streamARN string

	mu       sync.Mutex
	held     map[string]*heldLease
	stopping map[string]chan struct{} // shards whose lost processor is still finishing its batch
	crashed  bool
	crash    context.CancelFunc
	// throttled counts every GetRecords call refused over a shard's read limit since the worker was made, across
	// leases taken and lost (a lease's ShardStatus starts again at zero).
	throttled atomic.Uint64
}

type heldLease struct {
	epoch     uint64    // the lease's epoch when this worker took it
	renewed   time.Time // when this worker last renewed it, by its own clock
	handing   bool      // being handed over: its processor is stopping, renewals go on meanwhile
	cancel    context.CancelFunc
	done      chan struct{}
	status    ShardStatus
	lost      bool
	startFrom Lease // the lease as taken: where the processor starts
}

// NewWorker checks the configuration and finds the stream.
func NewWorker(eng *engine.Engine, cfg Config) (*Worker, error) {
	if cfg.App == "" || cfg.Worker == "" {
		return nil, errors.New("consumer: an application name and a worker name are required")
	}
	if cfg.Process == nil {
		return nil, errors.New("consumer: Config.Process is required")
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.BatchLimit <= 0 {
		cfg.BatchLimit = 10000
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = minPollInterval
	}
	switch cfg.InitialPosition {
	case "":
		cfg.InitialPosition = TrimHorizon
	case TrimHorizon, Latest, AtTimestamp:
	default:
		return nil, fmt.Errorf("consumer: initial position %q is not TRIM_HORIZON, LATEST or AT_TIMESTAMP", cfg.InitialPosition)
	}
	sum, err := eng.DescribeStreamSummary(context.Background(), cfg.Stream)
	if err != nil {
		return nil, err
	}
	return &Worker{eng: eng, cfg: cfg, streamARN: sum.StreamARN, ns: namespace(cfg.App, sum.StreamARN),
		held: map[string]*heldLease{}, stopping: map[string]chan struct{}{}}, nil
}

// Run takes, renews and balances leases and processes the shards it holds until ctx ends, then releases its
// leases (unless it crashed). It returns ctx's error, or the error that stopped it.
func (w *Worker) Run(ctx context.Context) error {
	ctx, crash := context.WithCancel(ctx)
	w.mu.Lock()
	w.crash = crash
	w.mu.Unlock()
	defer crash()
	if err := registerApp(ctx, w.eng, w.streamARN, w.cfg.App); err != nil {
		return err
	}
	tick := time.NewTicker(max(w.cfg.LeaseDuration/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		if err := w.tick(ctx); err != nil && ctx.Err() == nil {
			var ke *engine.Error
			if errors.As(err, &ke) && ke.Code == engine.ErrResourceNotFound {
				w.stopAll(false)
				return err // the stream is gone
			}
		}
		select {
		case <-ctx.Done():
			w.mu.Lock()
			crashed := w.crashed
			w.mu.Unlock()
			w.stopAll(!crashed)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Crash stops the worker as if its process died: processing stops, the leases stay as they are and expire.
func (w *Worker) Crash() {
	w.mu.Lock()
	w.crashed = true
	crash := w.crash
	w.mu.Unlock()
	if crash != nil {
		crash()
	}
}

// Status reports the shards this worker holds.
func (w *Worker) Status() []ShardStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ShardStatus
	for _, h := range w.held {
		out = append(out, h.status)
	}
	return out
}

// ReadsThrottled is how many of the worker's GetRecords calls were refused over a shard's read limit so far: the
// limit is shared by every reader of the shard, so an application says when others left it too few calls.
func (w *Worker) ReadsThrottled() uint64 { return w.throttled.Load() }

// Name is the worker's name.
func (w *Worker) Name() string { return w.cfg.Worker }

// stopAll stops every processor and, when release is set, hands the leases back for others to take at once.
func (w *Worker) stopAll(release bool) {
	w.mu.Lock()
	held := w.held
	w.held = map[string]*heldLease{}
	var retiring []chan struct{}
	for _, done := range w.stopping {
		retiring = append(retiring, done)
	}
	w.mu.Unlock()
	for _, h := range held {
		h.cancel()
		<-h.done
	}
	for _, done := range retiring {
		<-done
	}
	if !release {
		return
	}
	// Everything recorded as ours goes: the leases we ran, one handed over to us since our last renewal, and our
	// requests for handoffs still pending.
	me := w.cfg.Worker
	_ = w.eng.UpdateCheckpoints(context.Background(), w.ns, func(cur map[string][]byte) (map[string][]byte, error) {
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		writes := map[string][]byte{}
		for id, l := range all {
			switch {
			case l.Owner == me && l.PendingOwner != "":
				l.Owner, l.PendingOwner = l.PendingOwner, ""
				l.Renewed = time.Now()
			case l.Owner == me:
				l.Owner = ""
			case l.PendingOwner == me:
				l.PendingOwner = "" // the owner keeps it, epoch and all
				writes[id] = encodeLease(l)
				continue
			default:
				continue
			}
			l.Counter++
			l.Epoch++
			writes[id] = encodeLease(l)
		}
		return writes, nil
	})
}

// tick is one round of the lease protocol: create leases for new shards, renew ours, notice the ones we lost, hand
// over the ones another worker waits for, and take our share. It never waits for a processor: a slow batch must
// not hold up the renewal of every other lease.
func (w *Worker) tick(ctx context.Context) error {
	shards, err := w.eng.Shards(ctx, w.cfg.Stream)
	if err != nil {
		return err
	}
	now := time.Now()
	w.mu.Lock()
	held := make(map[string]uint64, len(w.held))
	for id, h := range w.held {
		held[id] = h.epoch
	}
	busy := make(map[string]bool, len(w.stopping))
	for id := range w.stopping {
		busy[id] = true
	}
	w.mu.Unlock()
	var taken []*Lease
	var handoffs []string
	lost := map[string]bool{}
	err = w.eng.UpdateCheckpoints(ctx, w.ns, func(cur map[string][]byte) (map[string][]byte, error) {
		taken, handoffs = nil, nil
		clear(lost)
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		writes := map[string][]byte{}
		w.createLeases(all, shards, writes)
		me := w.cfg.Worker
		for id, epoch := range held {
			l := all[id]
			if l == nil || l.Owner != me || l.Epoch != epoch {
				lost[id] = true
				continue
			}
			if l.PendingOwner != "" {
				handoffs = append(handoffs, id) // renewed until its processor has stopped, then handed over
			}
			l.Counter++
			l.Renewed = now
			writes[id] = encodeLease(l)
		}
		takeLease := func(l *Lease) {
			l.Counter++
			l.Epoch++
			l.Renewed = now
			if l.Owner != me {
				l.OwnerSwitches++
			}
			l.Owner, l.PendingOwner = me, ""
			taken = append(taken, l)
			writes[l.ShardID] = encodeLease(l)
		}
		// Leases recorded as ours that this worker does not run: handed over to us, or held by an earlier run of
		// a worker of the same name. A shard whose old processor here is still finishing waits for a later tick.
		for _, l := range sortedLeases(all) {
			if _, running := held[l.ShardID]; l.Owner == me && !running && !busy[l.ShardID] && !l.finished() {
				takeLease(l)
			}
		}
		take, ask := w.balance(all, now, held, busy)
		for _, l := range take {
			takeLease(l)
		}
		if ask != nil {
			writes[ask.ShardID] = encodeLease(ask)
		}
		return writes, nil
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range held {
		if h := w.held[id]; h != nil && !lost[id] {
			h.renewed = now
		}
	}
	for id := range lost {
		if h := w.held[id]; h != nil {
			h.lost = true
			delete(w.held, id)
			w.retire(id, h)
		}
	}
	for _, l := range taken {
		w.start(ctx, l, now)
	}
	for _, id := range handoffs {
		if h := w.held[id]; h != nil && !h.handing {
			h.handing = true
			go w.handOver(ctx, id, h)
		}
	}
	return nil
}

// retire stops a processor without waiting for it, and keeps its shard from being started again here until it has
// finished its batch. Caller holds w.mu.
func (w *Worker) retire(id string, h *heldLease) {
	h.cancel()
	w.stopping[id] = h.done
	go func() {
		<-h.done
		w.mu.Lock()
		if w.stopping[id] == h.done {
			delete(w.stopping, id)
		}
		w.mu.Unlock()
	}()
}

// createLeases adds a lease for every shard that has none. A new application starts its shards at its initial
// position (closed ones as finished when that is LATEST); later shards (children) start at their beginning, so
// nothing written to them is skipped.
func (w *Worker) createLeases(all map[string]*Lease, shards []engine.ShardInfo, writes map[string][]byte) {
	fresh := len(all) == 0
	for _, sh := range shards {
		if all[sh.ShardId] != nil {
			continue
		}
		l := &Lease{ShardID: sh.ShardId, Checkpoint: TrimHorizon}
		for _, p := range []string{sh.ParentShardId, sh.AdjacentParentShardId} {
			if p != "" {
				l.Parents = append(l.Parents, p)
			}
		}
		if fresh && w.cfg.InitialPosition != TrimHorizon {
			if !sh.Open && w.cfg.InitialPosition == Latest {
				l.Checkpoint = ShardEnd // nothing after LATEST is in a closed shard
			} else {
				l.Checkpoint = w.cfg.InitialPosition
				if w.cfg.InitialPosition == AtTimestamp {
					t := w.cfg.InitialTimestamp
					l.CheckpointTime = &t
				}
			}
		}
		all[sh.ShardId] = l
		writes[sh.ShardId] = encodeLease(l)
	}
}

// balance picks the leases this worker takes now: its fair share of the eligible ones, free or expired first; when
// none is free it asks the busiest worker to hand one over (ask, with PendingOwner set), which that worker does at
// its next renewal, after its current batch.
func (w *Worker) balance(all map[string]*Lease, now time.Time, held map[string]uint64, busy map[string]bool) (take []*Lease, ask *Lease) {
	me, d := w.cfg.Worker, w.cfg.LeaseDuration
	workers := map[string]int{me: 0}
	var eligibleLeases []*Lease
	for _, l := range sortedLeases(all) {
		if !eligible(l, all) {
			continue
		}
		eligibleLeases = append(eligibleLeases, l)
		if !l.expired(now, d) {
			workers[l.Owner]++
		}
	}
	target := int(math.Ceil(float64(len(eligibleLeases)) / float64(len(workers))))
	mine := workers[me]
	for _, l := range eligibleLeases {
		if mine >= target {
			break
		}
		if _, running := held[l.ShardID]; running || busy[l.ShardID] {
			continue
		}
		if l.expired(now, d) || l.PendingOwner == me && l.Owner == "" {
			take = append(take, l)
			mine++
		}
	}
	if mine >= target {
		return take, nil
	}
	for _, l := range eligibleLeases {
		if l.PendingOwner == me {
			return take, nil // one handoff at a time
		}
	}
	busiest, most := "", target
	for owner, n := range workers {
		if owner != me && n > most {
			busiest, most = owner, n
		}
	}
	if busiest == "" {
		return take, nil
	}
	for _, l := range eligibleLeases {
		if l.Owner == busiest && l.PendingOwner == "" && !l.expired(now, d) {
			l.PendingOwner = me // the owner's next renewal sees it
			return take, l
		}
	}
	return take, nil
}

// handOver stops the processor of a lease another worker asked for and passes the lease on. Until the processor
// has stopped the lease stays in w.held, so the ticks meanwhile keep renewing it and nobody takes it early.
func (w *Worker) handOver(ctx context.Context, id string, h *heldLease) {
	h.cancel()
	<-h.done
	_ = w.eng.UpdateCheckpoints(ctx, w.ns, func(cur map[string][]byte) (map[string][]byte, error) {
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		l := all[id]
		if l == nil || l.Owner != w.cfg.Worker || l.Epoch != h.epoch || l.PendingOwner == "" {
			return nil, nil // lost or released meanwhile
		}
		l.Owner, l.PendingOwner = l.PendingOwner, ""
		l.Counter++
		l.Epoch++
		l.Renewed = time.Now()
		l.OwnerSwitches++
		return map[string][]byte{id: encodeLease(l)}, nil
	})
	w.mu.Lock()
	if w.held[id] == h {
		delete(w.held, id)
	}
	w.mu.Unlock()
}

// checkpoint stores seq as a shard's checkpoint if this worker still holds the lease.
func (w *Worker) checkpoint(ctx context.Context, shardID, seq string) error {
	w.mu.Lock()
	h := w.held[shardID]
	w.mu.Unlock()
	return w.checkpointAs(ctx, shardID, h, seq)
}

// checkpointAs stores seq as the shard's checkpoint if the lease is still held under h's epoch.
func (w *Worker) checkpointAs(ctx context.Context, shardID string, h *heldLease, seq string) error {
	return w.eng.UpdateCheckpoints(ctx, w.ns, func(cur map[string][]byte) (map[string][]byte, error) {
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		var epoch uint64
		if h != nil {
			epoch = h.epoch
		}
		l := all[shardID]
		if h == nil || l == nil || l.Owner != w.cfg.Worker || l.Epoch != epoch {
			return nil, fmt.Errorf("checkpoint %s of %s: %w", seq, shardID, ErrLeaseLost)
		}
		l.Checkpoint, l.CheckpointTime, l.OwnerSwitches = seq, nil, 0
		return map[string][]byte{shardID: encodeLease(l)}, nil
	})
}
