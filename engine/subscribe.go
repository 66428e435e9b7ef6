package engine

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/shardlab/shardlab/internal/seqnum"
	"github.com/shardlab/shardlab/internal/tokenbucket"
)

// SubscribeToShard pushes a shard's records to an enhanced fan-out consumer as they are committed: no polling
// interval, no share of the shard's GetRecords limits, and a budget of its own.

const (
	// DefaultSubscriptionDuration is how long a SubscribeToShard session lasts before the consumer must
	// subscribe again, as on AWS.
	DefaultSubscriptionDuration = 5 * time.Minute
	// subscriptionHeartbeat is how often an idle subscription still sends an (empty) event, so the consumer
	// learns its position and lag without records.
	subscriptionHeartbeat = 5 * time.Second
	// fanOutBytesPerSecond is each consumer's own read budget per shard.
	fanOutBytesPerSecond = 2 << 20
	// takeoverAfter is how long a session has the consumer and shard to itself: a new SubscribeToShard within it
	// is refused, after it the new one takes over and the old one ends, as on AWS.
	takeoverAfter = 5 * time.Second
)

// StartingPosition is where a subscription starts reading.
type StartingPosition struct {
	Type           string // TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP
	SequenceNumber string
	Timestamp      *time.Time
}

// SubscribeToShardInput mirrors SubscribeToShard.
type SubscribeToShardInput struct {
	ConsumerARN      string
	ShardId          string
	StartingPosition StartingPosition
}

// SubscribeToShardEvent is one push: the records committed since the last one (possibly none), where to continue,
// and, at a closed shard's end, its children.
type SubscribeToShardEvent struct {
	Records []Record
	// ContinuationSequenceNumber resumes the stream with AFTER_SEQUENCE_NUMBER; empty once a closed shard is read
	// to its end.
	ContinuationSequenceNumber string
	MillisBehindLatest         int64
	ChildShards                []ChildShard
}

// SubscriptionInfo is what the GUI shows of a live subscription.
type SubscriptionInfo struct {
	ConsumerName, ConsumerARN, ShardId string
	Started                            time.Time
	Delivered                          uint64 // records pushed in this session
	MillisBehindLatest                 int64
	ContinuationSequenceNumber         string
}

// Subscription is one live SubscribeToShard session. Next is not safe for concurrent use; Close is.
type Subscription struct {
	e      *Engine
	s      *stream
	sh     *shard
	key    subscriptionKey
	name   string
	from   uint64
	ends   time.Time
	budget *tokenbucket.Bucket // nil when the stream's limits are off
	last   time.Time           // when the last event went out
	done   chan struct{}
	once   sync.Once
	ended  bool  // the closed shard's last event went out
	endErr error // why another session or the stream's deletion ended this one; set before done closes

	mu   sync.Mutex
	info SubscriptionInfo
}

type subscriptionKey struct{ consumerARN, shardID string }

// subscriptions holds the live sessions: one per consumer and shard.
type subscriptions struct {
	mu   sync.Mutex
	live map[subscriptionKey]*Subscription
}

// SubscribeToShard opens a session on one shard for a registered, ACTIVE consumer. A second session for the same
// consumer and shard while one is live is refused with ResourceInUseException, as on AWS.
func (e *Engine) SubscribeToShard(ctx context.Context, in SubscribeToShardInput) (*Subscription, error) {
	var v validation
	if v.notNull(in.ConsumerARN != "", "consumerARN") {
		v.lenRange(in.ConsumerARN, len(in.ConsumerARN), 1, 2048, "consumerARN")
	}
	if v.notNull(in.ShardId != "", "shardId") {
		v.lenRange(in.ShardId, len(in.ShardId), 1, 128, "shardId")
	}
	if v.notNull(in.StartingPosition.Type != "", "startingPosition.type") {
		v.enum(in.StartingPosition.Type, iteratorTypes, "startingPosition.type")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	in.ShardId = canonicalShardID(in.ShardId)
	s, c, err := e.findConsumer(ctx, ConsumerRef{ConsumerARN: in.ConsumerARN})
	if err != nil {
		return nil, err
	}
	if c.Status != ConsumerActive {
		return nil, newError(ErrResourceInUse, "Consumer %s under stream %s is not ACTIVE, instead in state %s.",
			in.ConsumerARN, s.name, c.Status)
	}
	if _, err := e.activeStream(ctx, StreamRef{StreamARN: s.arn()}); err != nil || s.deleted.Load() {
		return nil, notFound(s.key())
	}
	s.mu.RLock()
	sh := s.shard(in.ShardId)
	s.mu.RUnlock()
	if sh == nil {
		return nil, shardDoesNotExist(s, in.ShardId)
	}
	from, err := e.iteratorStart(s, sh, GetShardIteratorInput{ShardId: in.ShardId,
		ShardIteratorType: in.StartingPosition.Type, StartingSequenceNumber: in.StartingPosition.SequenceNumber,
		Timestamp: in.StartingPosition.Timestamp})
	if err != nil {
		return nil, err
	}
	now := e.now()
	sub := &Subscription{e: e, s: s, sh: sh, key: subscriptionKey{in.ConsumerARN, in.ShardId}, name: c.Name,
		from: from, ends: now.Add(e.opts.SubscriptionDuration), done: make(chan struct{})}
	s.mu.RLock()
	if s.meta.LimitsEnforced && !e.opts.LimitsOff { // the consumer's own 2 MiB/s, metered like the shard's limits
		sub.budget = tokenbucket.New(fanOutBytesPerSecond, fanOutBytesPerSecond, now)
	}
	s.mu.RUnlock()
	sub.info = SubscriptionInfo{ConsumerName: c.Name, ConsumerARN: in.ConsumerARN, ShardId: in.ShardId, Started: now,
		ContinuationSequenceNumber: sub.continuation()}
	e.subs.mu.Lock()
	old := e.subs.live[sub.key]
	if old != nil && now.Sub(old.info.Started) < takeoverAfter {
		e.subs.mu.Unlock()
		return nil, newError(ErrResourceInUse, "Another active subscription exists for this consumer: %s:%s:%s:%s",
			s.account, s.name, in.ShardId, c.Name)
	}
	if e.subs.live == nil {
		e.subs.live = map[subscriptionKey]*Subscription{}
	}
	e.subs.live[sub.key] = sub
	e.subs.mu.Unlock()
	if old != nil { // a consumer that lost its connection, say: the newer session wins
		old.end(newError(ErrResourceInUse, "Another subscription for consumer %s on shard %s took over.", c.Name, in.ShardId))
	}
	// A deregistration between the lookup above and the registration would have missed this session.
	if _, c2, err := e.findConsumer(ctx, ConsumerRef{ConsumerARN: in.ConsumerARN}); err != nil || c2.Status != ConsumerActive {
		sub.Close()
		return nil, newError(ErrResourceNotFound, "Consumer %s is no longer registered.", in.ConsumerARN)
	}
	return sub, nil
}

// Next blocks until there is an event to push: records as soon as they are committed, an empty event after
// subscriptionHeartbeat without any, or the closed shard's last event. It returns io.EOF when the session is over
// (its five minutes are up, or the shard's end went out), and ResourceNotFoundException when the consumer or the
// stream went away.
func (sub *Subscription) Next(ctx context.Context) (*SubscribeToShardEvent, error) {
	e, s, sh := sub.e, sub.s, sub.sh
	if sub.last.IsZero() {
		sub.last = e.now()
	}
	for {
		if sub.ended {
			return nil, io.EOF
		}
		select {
		case <-sub.done:
			if sub.endErr != nil {
				return nil, sub.endErr
			}
			return nil, newError(ErrResourceNotFound, "Consumer %s of stream %s is no longer registered.",
				sub.key.consumerARN, s.name)
		default:
		}
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		now := e.now()
		if !now.Before(sub.ends) {
			return nil, io.EOF
		}
		if wait := sub.budgetWait(now); wait > 0 {
			if err := sub.sleep(ctx, wait, nil); err != nil {
				return nil, err
			}
			continue
		}
		wake := sh.feed.wait() // before reading, so a commit in between still wakes us
		s.mu.RLock()
		open := sh.isOpen()
		s.mu.RUnlock()
		out, next, bytes, exhausted, err := e.readShard(s, sh, sub.from, maxGetRecords)
		if err != nil {
			return nil, err
		}
		atEnd := !open && exhausted
		if len(out.Records) > 0 || atEnd || now.Sub(sub.last) >= subscriptionHeartbeat {
			return sub.event(out, next, bytes, exhausted, atEnd, now), nil
		}
		out.Release()
		timeout := min(subscriptionHeartbeat-now.Sub(sub.last), sub.ends.Sub(now))
		if err := sub.sleep(ctx, timeout, wake); err != nil {
			return nil, err
		}
	}
}

// event turns what was read into the next push and moves the session on.
func (sub *Subscription) event(out *GetRecordsOutput, next uint64, bytes int, exhausted, atEnd bool, now time.Time) *SubscribeToShardEvent {
	ev := &SubscribeToShardEvent{Records: out.Records}
	if len(out.Records) > 0 {
		sub.from = next
		if sub.budget != nil {
			sub.budget.Charge(float64(bytes), now)
		}
	}
	if !exhausted {
		ev.MillisBehindLatest = max(now.Sub(out.Records[len(out.Records)-1].ApproximateArrivalTimestamp).Milliseconds(), 0)
	}
	if atEnd {
		ev.ChildShards = sub.e.childShards(sub.s, sub.sh)
		sub.ended = true
	} else {
		ev.ContinuationSequenceNumber = sub.continuation()
	}
	sub.last = now
	sub.mu.Lock()
	sub.info.Delivered += uint64(len(out.Records))
	sub.info.MillisBehindLatest = ev.MillisBehindLatest
	sub.info.ContinuationSequenceNumber = ev.ContinuationSequenceNumber
	sub.mu.Unlock()
	return ev
}

// continuation is the sequence number AFTER_SEQUENCE_NUMBER resumes from to read sub.from next: the one before it,
// or the shard's start when nothing of it was read yet.
//
// It never names a number above the last one issued in the shard (an AT_TIMESTAMP start in the future would),
// since AFTER_SEQUENCE_NUMBER refuses those.
func (sub *Subscription) continuation() string { return resumeAfter(sub.s, sub.sh, sub.from) }

// resumeAfter is the sequence number that AFTER_SEQUENCE_NUMBER takes to read a shard from counter from on: the one
// before it, or the shard's start when from is earlier, never above the last one issued (AFTER_SEQUENCE_NUMBER
// refuses those).
func resumeAfter(s *stream, sh *shard, from uint64) string {
	s.mu.RLock()
	start, end := sh.meta.StartCounter, sh.meta.EndCounter
	s.mu.RUnlock()
	issued := max(sh.last.Load(), start, end)
	return seqnum.Format(min(max(from, start+1)-1, issued), sh.index)
}

// budgetWait is how long the consumer's 2 MiB/s must refill before the next read.
func (sub *Subscription) budgetWait(now time.Time) time.Duration {
	if sub.budget == nil {
		return 0
	}
	if tokens := sub.budget.Tokens(now); tokens < 0 {
		return time.Duration(-tokens / fanOutBytesPerSecond * float64(time.Second))
	}
	return 0
}

// sleep waits for d, a commit (wake), the session's end by deregistration, or ctx.
func (sub *Subscription) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-sub.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Info reports the session's progress.
func (sub *Subscription) Info() SubscriptionInfo {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.info
}

// Close ends the session and frees its consumer and shard for another subscription.
func (sub *Subscription) Close() { sub.end(nil) }

// end closes the session; Next then answers err (ResourceNotFoundException when nil).
func (sub *Subscription) end(err error) {
	sub.once.Do(func() {
		sub.endErr = err
		close(sub.done)
		sub.e.subs.mu.Lock()
		if sub.e.subs.live[sub.key] == sub {
			delete(sub.e.subs.live, sub.key)
		}
		sub.e.subs.mu.Unlock()
	})
}

// Subscriptions lists the live sessions on a stream's shards.
func (e *Engine) Subscriptions(ctx context.Context, ref StreamRef) ([]SubscriptionInfo, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	e.subs.mu.Lock()
	defer e.subs.mu.Unlock()
	var out []SubscriptionInfo
	for _, sub := range e.subs.live {
		if sub.s == s {
			out = append(out, sub.Info())
		}
	}
	return out, nil
}

// endSubscriptions ends a deregistered consumer's sessions.
func (e *Engine) endSubscriptions(consumerARN string) {
	e.endWhere(func(sub *Subscription) bool { return sub.key.consumerARN == consumerARN })
}

// endStreamSubscriptions ends every session on a deleted stream.
func (e *Engine) endStreamSubscriptions(s *stream) {
	e.endWhere(func(sub *Subscription) bool { return sub.s == s })
}

func (e *Engine) endWhere(match func(*Subscription) bool) {
	e.subs.mu.Lock()
	var ending []*Subscription
	for _, sub := range e.subs.live {
		if match(sub) {
			ending = append(ending, sub)
		}
	}
	e.subs.mu.Unlock()
	for _, sub := range ending {
		sub.Close()
	}
}
