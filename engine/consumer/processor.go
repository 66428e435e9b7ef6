package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine"
)

const (
	// minPollInterval is Config.PollInterval's default: it spaces a caught-up shard's GetRecords calls, keeping a
	// worker inside Kinesis's 5 calls/s per shard even when records trickle in one commit at a time.
	minPollInterval = 200 * time.Millisecond
	// idleWait bounds a wait on the change feed, so a worker notices a lost lease or a closed shard.
	idleWait = time.Second
	// retryPause is the wait after a throttled read or a failed Process call.
	retryPause = 500 * time.Millisecond
)

// SharedPollInterval is the PollInterval of a reader that shares its shards with other applications, as every
// reader inside Shardlab does (delivery streams, analytics, the Records tail, the workshop's workers): one call a
// second, the KCL's idleTimeBetweenReadsInMillis, so five of them fit in a shard's 5 GetRecords calls a second and
// none throttles the others.
const SharedPollInterval = time.Second

// start runs a processor for a lease just taken. Caller holds w.mu.
func (w *Worker) start(ctx context.Context, l *Lease, now time.Time) {
	pctx, cancel := context.WithCancel(ctx)
	h := &heldLease{epoch: l.Epoch, renewed: now, cancel: cancel, done: make(chan struct{}),
		status: ShardStatus{ShardID: l.ShardID}, startFrom: *l}
	w.held[l.ShardID] = h
	go func() {
		defer close(h.done)
		w.process(pctx, h)
	}()
}

// process reads a shard from the lease's checkpoint and hands each page to Config.Process until the shard ends,
// the lease is lost, or ctx ends. At the end of a closed shard it checkpoints SHARD_END and releases the lease so
// the children can be taken.
func (w *Worker) process(ctx context.Context, h *heldLease) {
	shardID := h.startFrom.ShardID
	if err := w.pinStart(ctx, h); err != nil {
		w.noteError(h, err)
		return // the lease was lost meanwhile, or the stream went away: the next tick sorts it out
	}
	it, err := w.iterator(ctx, &h.startFrom)
	for err != nil {
		w.noteError(h, err)
		if !sleep(ctx, retryPause) {
			return
		}
		it, err = w.iterator(ctx, &h.startFrom)
	}
	var lastSeq string
	lastCall := time.Time{}
	behind := false // the last page left records to read
	for ctx.Err() == nil {
		if !w.stillHeld(h) {
			return
		}
		// Calls are spaced to stay within the stream's 5 a second; a stream whose limits are off lets a reader with
		// a backlog read on at once (how a replay or a benchmark is caught up).
		spaced := !behind || w.eng.ReadsLimited(ctx, w.cfg.Stream)
		if wait := w.cfg.PollInterval - time.Since(lastCall); spaced && wait > 0 && !sleep(ctx, wait) {
			return
		}
		wake, _ := w.eng.WaitForRecords(ctx, w.cfg.Stream, shardID)
		lastCall = time.Now()
		out, err := w.eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it, Limit: &w.cfg.BatchLimit})
		if err != nil {
			var ke *engine.Error
			if errors.As(err, &ke) && ke.Code == engine.ErrExpiredIterator {
				resume := h.startFrom
				if lastSeq != "" {
					resume.Checkpoint = lastSeq
				}
				if it, err = w.iterator(ctx, &resume); err == nil {
					continue
				}
			}
			w.noteError(h, err)
			if !sleep(ctx, retryPause) {
				return
			}
			continue
		}
		final := out.NextShardIterator == "" && w.cfg.DeferShardEnd
		if len(out.Records) > 0 || final {
			b := &Batch{ShardID: shardID, Records: out.Records, MillisBehindLatest: out.MillisBehindLatest, w: w,
				final: final}
			for {
				err := w.cfg.Process(ctx, b)
				if err == nil {
					break
				}
				w.noteError(h, err)
				if !sleep(ctx, retryPause) || !w.stillHeld(h) {
					return
				}
			}
			if len(out.Records) > 0 {
				lastSeq = out.Records[len(out.Records)-1].SequenceNumber
			}
			w.mu.Lock()
			h.status.Processed += uint64(len(out.Records))
			w.mu.Unlock()
		}
		w.mu.Lock()
		h.status.MillisBehindLatest = out.MillisBehindLatest
		behind = out.MillisBehindLatest > 0 && len(out.Records) > 0
		w.mu.Unlock()
		if out.NextShardIterator == "" { // the closed shard is read to its end
			if !w.cfg.DeferShardEnd {
				w.finishShard(ctx, h)
			}
			// With DeferShardEnd the lease stays held (and renewed) until the final batch's Checkpoint ends it.
			return
		}
		it = out.NextShardIterator
		if len(out.Records) == 0 && wake != nil {
			t := time.NewTimer(idleWait)
			select {
			case <-wake:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
}

// pinStart replaces a moving start position (LATEST, AT_TIMESTAMP) in a lease with the sequence number it means
// now, stored before anything is read: a worker that dies with records buffered then leaves a checkpoint that
// reads them again, not a LATEST that would skip them.
func (w *Worker) pinStart(ctx context.Context, h *heldLease) error {
	l := &h.startFrom
	if l.Checkpoint != Latest && l.Checkpoint != AtTimestamp {
		return nil
	}
	seq, err := w.eng.ResolvePosition(ctx, w.cfg.Stream, l.ShardID, l.Checkpoint, l.CheckpointTime)
	if err != nil {
		return err
	}
	if err := w.checkpointAs(ctx, l.ShardID, h, seq); err != nil {
		return err
	}
	l.Checkpoint, l.CheckpointTime = seq, nil
	return nil
}

// iterator opens a shard at a lease's checkpoint.
func (w *Worker) iterator(ctx context.Context, l *Lease) (string, error) {
	in := engine.GetShardIteratorInput{StreamRef: w.cfg.Stream, ShardId: l.ShardID}
	switch l.Checkpoint {
	case TrimHorizon, Latest:
		in.ShardIteratorType = l.Checkpoint
	case AtTimestamp:
		in.ShardIteratorType, in.Timestamp = AtTimestamp, l.CheckpointTime
	default:
		in.ShardIteratorType, in.StartingSequenceNumber = engine.IteratorAfterSeq, l.Checkpoint
	}
	return w.eng.GetShardIterator(ctx, in)
}

// stillHeld reports whether the worker still holds the lease and has renewed it within the lease duration, after
// which another worker may take it.
func (w *Worker) stillHeld(h *heldLease) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !h.lost && time.Since(h.renewed) < w.cfg.LeaseDuration
}

func (w *Worker) noteError(h *heldLease, err error) {
	w.mu.Lock()
	h.status.Errors++
	if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
		h.status.Throttled++
		w.throttled.Add(1)
	}
	h.status.LastError = err.Error()
	w.mu.Unlock()
}

// finishShard checkpoints SHARD_END and releases the lease, so the children can be taken.
func (w *Worker) finishShard(ctx context.Context, h *heldLease) error {
	id := h.startFrom.ShardID
	err := w.eng.UpdateCheckpoints(ctx, w.ns, func(cur map[string][]byte) (map[string][]byte, error) {
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		l := all[id]
		if l == nil || l.Owner != w.cfg.Worker || l.Epoch != h.epoch {
			return nil, fmt.Errorf("finish %s: %w", id, ErrLeaseLost)
		}
		l.Checkpoint, l.CheckpointTime, l.Owner, l.PendingOwner, l.OwnerSwitches = ShardEnd, nil, "", "", 0
		l.Counter++
		l.Epoch++
		return map[string][]byte{id: encodeLease(l)}, nil
	})
	if err != nil {
		w.noteError(h, err)
		return err
	}
	w.mu.Lock()
	if w.held[id] == h {
		delete(w.held, id)
	}
	w.mu.Unlock()
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
