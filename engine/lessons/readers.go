package lessons

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
)

// ReaderAction starts a reader the lesson owns. Kind "kcl" runs Count workers of a consumer application (leases,
// checkpoints, failover: they show on the Consumers tab); "poll" runs Count plain GetRecords loops over every open
// shard; "fanout" registers Count enhanced fan-out consumers and subscribes each to every open shard.
type ReaderAction struct {
	Name   string        `yaml:"name,required"`
	Stream string        `yaml:"stream,required"`
	Kind   string        `yaml:"kind,required"`
	Count  int           `yaml:"count"`
	Start  string        `yaml:"start"` // TRIM_HORIZON (default) or LATEST
	Poll   time.Duration `yaml:"poll"`  // the time between one shard's calls (default 1 s, the KCL's)
	// CheckpointEvery makes a kcl worker checkpoint a shard only this long after its last checkpoint (default:
	// after every batch), so a crash leaves records processed but not checkpointed: at-least-once's duplicates.
	CheckpointEvery time.Duration `yaml:"checkpoint_every"`
}

func (a *ReaderAction) validate(n *names) error {
	switch a.Kind {
	case "kcl", "poll", "fanout":
	default:
		return fmt.Errorf("start_reader: kind %q is kcl, poll or fanout", a.Kind)
	}
	if a.Count < 0 || a.Count > 10 {
		return fmt.Errorf("start_reader: count %d is 1 to 10", a.Count)
	}
	switch a.Start {
	case "", engine.IteratorTrimHorizon, engine.IteratorLatest:
	default:
		return fmt.Errorf("start_reader: start %q is TRIM_HORIZON or LATEST", a.Start)
	}
	if n.readers[a.Name] {
		return fmt.Errorf("start_reader: reader %q is started twice", a.Name)
	}
	n.define(&n.readers, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

// reader is a running reader and what it has seen.
type reader struct {
	cfg     ReaderAction
	app     string // kcl: the consumer application's name
	arn     string
	cancel  context.CancelFunc
	workers []*consumer.Worker
	stops   []context.CancelFunc // one per worker

	mu         sync.Mutex
	records    uint64
	duplicates uint64
	outOfOrder uint64
	throttled  uint64
	seen       map[string]bool   // sequence numbers processed
	lastByKey  map[string]string // partition key → last sequence number processed
	lastCkpt   map[string]time.Time
}

func (r *reader) take(recs []engine.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		r.records++
		if r.seen[rec.SequenceNumber] {
			r.duplicates++
			continue
		}
		r.seen[rec.SequenceNumber] = true
		if last, ok := r.lastByKey[rec.PartitionKey]; ok && !seqLess(last, rec.SequenceNumber) {
			r.outOfOrder++
		}
		r.lastByKey[rec.PartitionKey] = rec.SequenceNumber
	}
}

// seqLess compares two sequence numbers, decimal strings of any length.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func (s *Session) startReader(ctx context.Context, a *ReaderAction) error {
	cfg := *a
	cfg.Count = max(cfg.Count, 1)
	if cfg.Poll <= 0 {
		cfg.Poll = consumer.SharedPollInterval
	}
	if cfg.Start == "" {
		cfg.Start = engine.IteratorTrimHorizon
	}
	sum, err := s.ws.Engine.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: cfg.Stream})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &reader{cfg: cfg, app: s.lesson.ID + "-" + cfg.Name, arn: sum.StreamARN, cancel: cancel,
		seen: map[string]bool{}, lastByKey: map[string]string{}, lastCkpt: map[string]time.Time{}}
	s.mu.Lock()
	if old := s.readers[cfg.Name]; old != nil {
		old.cancel()
	}
	s.readers[cfg.Name] = r
	s.mu.Unlock()
	switch cfg.Kind {
	case "kcl":
		for i := 1; i <= cfg.Count; i++ {
			w, err := consumer.NewWorker(s.ws.Engine, consumer.Config{App: r.app, Worker: fmt.Sprintf("worker-%d", i),
				Stream: engine.StreamRef{StreamName: cfg.Stream}, InitialPosition: cfg.Start, PollInterval: cfg.Poll,
				LeaseDuration: 6 * time.Second, Process: r.process})
			if err != nil {
				cancel()
				return err
			}
			wctx, stop := context.WithCancel(rctx)
			r.workers, r.stops = append(r.workers, w), append(r.stops, stop)
			go w.Run(wctx)
		}
	case "poll":
		shards, err := s.ws.Engine.Shards(ctx, engine.StreamRef{StreamName: cfg.Stream})
		if err != nil {
			cancel()
			return err
		}
		for range cfg.Count {
			for _, sh := range shards {
				if sh.Open {
					go s.poll(rctx, r, sh.ShardId)
				}
			}
		}
	case "fanout":
		shards, err := s.ws.Engine.Shards(ctx, engine.StreamRef{StreamName: cfg.Stream})
		if err != nil {
			cancel()
			return err
		}
		for i := 1; i <= cfg.Count; i++ {
			c, err := s.ws.Engine.RegisterStreamConsumer(ctx, sum.StreamARN, fmt.Sprintf("%s-%d", r.app, i))
			if err != nil {
				cancel()
				return err
			}
			for _, sh := range shards {
				if sh.Open {
					go s.subscribe(rctx, r, c.ConsumerARN, sh.ShardId)
				}
			}
		}
	}
	return nil
}

func (r *reader) process(ctx context.Context, b *consumer.Batch) error {
	r.take(b.Records)
	r.mu.Lock()
	due := r.cfg.CheckpointEvery == 0 || time.Since(r.lastCkpt[b.ShardID]) >= r.cfg.CheckpointEvery
	if due {
		r.lastCkpt[b.ShardID] = time.Now()
	}
	r.mu.Unlock()
	if due || b.Final() {
		return b.Checkpoint(ctx)
	}
	return nil
}

// poll reads one shard with plain GetRecords calls, every cfg.Poll, counting the calls the shard refused.
func (s *Session) poll(ctx context.Context, r *reader, shardID string) {
	it, err := s.ws.Engine.GetShardIterator(ctx, engine.GetShardIteratorInput{
		StreamRef: engine.StreamRef{StreamName: r.cfg.Stream}, ShardId: shardID, ShardIteratorType: r.cfg.Start})
	for ctx.Err() == nil && it != "" {
		if err != nil {
			return
		}
		out, gerr := s.ws.Engine.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it})
		switch {
		case engine.ErrorCode(gerr) == engine.ErrThroughputExceeded:
			r.mu.Lock()
			r.throttled++
			r.mu.Unlock()
		case gerr != nil:
			return
		default:
			r.take(out.Records)
			it = out.NextShardIterator
			out.Release()
		}
		t := time.NewTimer(r.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// subscribe follows one shard through an enhanced fan-out subscription, renewing it when it ends (Kinesis ends
// each after 5 minutes).
func (s *Session) subscribe(ctx context.Context, r *reader, consumerARN, shardID string) {
	pos := engine.StartingPosition{Type: r.cfg.Start}
	for ctx.Err() == nil {
		sub, err := s.ws.Engine.SubscribeToShard(ctx, engine.SubscribeToShardInput{ConsumerARN: consumerARN,
			ShardId: shardID, StartingPosition: pos})
		if err != nil {
			// A consumer is ACTIVE a moment after it is registered, as on Kinesis: try again shortly.
			t := time.NewTimer(200 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				break
			}
			r.take(ev.Records)
			if ev.ContinuationSequenceNumber == "" {
				sub.Close()
				return
			}
			pos = engine.StartingPosition{Type: engine.IteratorAfterSeq, SequenceNumber: ev.ContinuationSequenceNumber}
		}
		sub.Close()
	}
}

// KillAction crashes one worker (1, 2, …) of a kcl reader: its leases are left to expire, as a dead process's are.
type KillAction struct {
	Reader string `yaml:"reader,required"`
	Worker int    `yaml:"worker,required"`
}

func (s *Session) kill(a *KillAction) error {
	s.mu.Lock()
	r := s.readers[a.Reader]
	s.mu.Unlock()
	if r == nil || a.Worker < 1 || a.Worker > len(r.workers) {
		return fmt.Errorf("kill_worker: reader %s has no worker %d", a.Reader, a.Worker)
	}
	r.workers[a.Worker-1].Crash()
	return nil
}

func (s *Session) readerResult(c *ReaderCheck) Result {
	s.mu.Lock()
	r := s.readers[c.Name]
	s.mu.Unlock()
	var want []string
	if c.RecordsAtLeast != nil {
		want = append(want, fmt.Sprintf("reads at least %d records", *c.RecordsAtLeast))
	}
	if c.DuplicatesAtLeast != nil {
		want = append(want, fmt.Sprintf("sees at least %d twice", *c.DuplicatesAtLeast))
	}
	if c.ThrottledAtLeast != nil {
		want = append(want, fmt.Sprintf("is refused at least %d reads", *c.ThrottledAtLeast))
	}
	if c.ThrottledAtMost != nil {
		want = append(want, fmt.Sprintf("is refused at most %d reads", *c.ThrottledAtMost))
	}
	if c.InOrder {
		want = append(want, "gets each key's records in order")
	}
	res := Result{Want: "reader " + c.Name + " " + joinAnd(want), Now: "not started"}
	if r == nil {
		return res
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	throttled := r.throttled
	for _, w := range r.workers {
		throttled += w.ReadsThrottled()
	}
	res.Now = fmt.Sprintf("%d records, %d twice, %d refused reads, %d out of order", r.records, r.duplicates,
		throttled, r.outOfOrder)
	res.Met = atLeast(r.records, c.RecordsAtLeast) && atLeast(r.duplicates, c.DuplicatesAtLeast) &&
		atLeast(throttled, c.ThrottledAtLeast) && atMost(throttled, c.ThrottledAtMost) && (!c.InOrder || r.outOfOrder == 0)
	return res
}

func (s *Session) leases(ctx context.Context, c *LeasesCheck) Result {
	s.mu.Lock()
	r := s.readers[c.Reader]
	s.mu.Unlock()
	worker := fmt.Sprintf("worker-%d", c.Worker)
	res := Result{Want: fmt.Sprintf("%s of %s holds at least %d leases", worker, c.Reader, c.AtLeast), Now: "not started"}
	if r == nil {
		return res
	}
	ls, err := consumer.Leases(ctx, s.ws.Engine, r.app, r.arn)
	if err != nil {
		res.Now = err.Error()
		return res
	}
	held := 0
	for _, l := range ls {
		if l.Owner == worker && l.Checkpoint != consumer.ShardEnd {
			held++
		}
	}
	res.Now = fmt.Sprintf("it holds %d", held)
	res.Met = held >= c.AtLeast
	return res
}

func (s *Session) checkpoint(ctx context.Context, c *CheckpointCheck) Result {
	s.mu.Lock()
	r := s.readers[c.Reader]
	put := s.puts[c.PastPut]
	s.mu.Unlock()
	shardID := fmt.Sprintf("shardId-%012d", c.Shard)
	res := Result{Want: fmt.Sprintf("%s's checkpoint on shard %d is SHARD_END", c.Reader, c.Shard), Now: "not started"}
	if c.PastPut != "" {
		res.Want = fmt.Sprintf("%s's checkpoint on shard %d is past the records of %q", c.Reader, c.Shard, c.PastPut)
	}
	if r == nil {
		return res
	}
	ls, err := consumer.Leases(ctx, s.ws.Engine, r.app, r.arn)
	if err != nil {
		res.Now = err.Error()
		return res
	}
	for _, l := range ls {
		if l.ShardID != shardID {
			continue
		}
		res.Now = "checkpoint " + shortSeq(l.Checkpoint)
		if c.ShardEnd {
			res.Met = l.Checkpoint == consumer.ShardEnd
			return res
		}
		last := put.lastOn(shardID)
		if last == "" {
			res.Now += "; the put left nothing on this shard"
			return res
		}
		res.Met = l.Checkpoint == consumer.ShardEnd || !seqLess(l.Checkpoint, last) // a position name sorts first
		return res
	}
	res.Now = "no lease for the shard yet"
	return res
}

func shortSeq(seq string) string {
	if len(seq) > 12 {
		return "…" + seq[len(seq)-8:]
	}
	return seq
}
