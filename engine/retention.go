package engine

import (
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/seqnum"
)

const trimBatch = 10_000 // records deleted per transaction, so trimming never holds the writer for long

// retentionLoop trims expired records every RetentionCheckInterval, or sooner when a retention is lowered.
func (e *Engine) retentionLoop() {
	defer e.bg.Done()
	tick := time.NewTicker(e.opts.RetentionCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.stopBg:
			return
		case <-tick.C:
		case <-e.trimNow:
		}
		_ = e.TrimExpired() // the next pass retries; nothing is lost by a pass that failed
	}
}

func (e *Engine) trimSoon() {
	select {
	case e.trimNow <- struct{}{}:
	default:
	}
}

// TrimExpired deletes records older than their stream's retention and forgets closed shards whose whole life lies
// beyond it, as Kinesis does. It runs in the background; tests and tools may call it directly. A read-only pass
// finds the shards with anything to trim, so an idle engine costs no write transactions.
func (e *Engine) TrimExpired() error {
	e.mu.RLock()
	streams := make([]*stream, 0, len(e.byID))
	for _, s := range e.byID {
		streams = append(streams, s)
	}
	e.mu.RUnlock()
	now := e.now()
	for _, s := range streams {
		s.mu.RLock()
		horizon := s.horizon(now)
		shards := append([]*shard(nil), s.shards...)
		s.mu.RUnlock()
		cutoff := seqnum.CounterAt(horizon)
		for _, sh := range e.expiring(s, shards, cutoff, horizon) {
			for more := true; more; {
				more = false
				err := e.update(func(tx *storage.Tx) (func(), error) {
					if s.deleted.Load() {
						return nil, nil
					}
					if !sh.isOpen() && sh.meta.Closed.Before(horizon) {
						if err := tx.DeleteShard(s.id, sh.index); err != nil {
							return nil, err
						}
						return func() { s.forget(sh); e.changes.fire() }, nil
					}
					var err error
					_, more, err = tx.Trim(s.id, sh.index, cutoff, trimBatch)
					return nil, err
				})
				if err != nil {
					return fmt.Errorf("trim stream %s shard %s: %w", s.name, sh.id, err)
				}
			}
		}
	}
	return nil
}

// expiring picks the shards that hold a record older than cutoff or are closed shards past retention.
func (e *Engine) expiring(s *stream, shards []*shard, cutoff uint64, horizon time.Time) []*shard {
	var out []*shard
	_ = e.db.View(func(tx *storage.ReadTx) error {
		s.mu.RLock()
		defer s.mu.RUnlock()
		for _, sh := range shards {
			first, ok := tx.FirstCounter(s.id, sh.index)
			if (ok && first < cutoff) || (!sh.isOpen() && sh.meta.Closed.Before(horizon)) {
				out = append(out, sh)
			}
		}
		return nil
	})
	return out
}

// forget drops a shard whose records have all expired.
func (s *stream) forget(sh *shard) {
	s.mu.Lock()
	for i, x := range s.shards {
		if x == sh {
			s.shards = append(s.shards[:i], s.shards[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	s.feed.fire()
}

// horizon is the arrival time before which the stream's records have expired. Caller holds s.mu.
func (s *stream) horizon(now time.Time) time.Time {
	return now.Add(-time.Duration(s.meta.RetentionHours) * time.Hour)
}
