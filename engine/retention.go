package engine

import (
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
		e.TrimExpired()
	}
}

func (e *Engine) trimSoon() {
	select {
	case e.trimNow <- struct{}{}:
	default:
	}
}

// TrimExpired deletes records older than their stream's retention and forgets closed shards whose whole life lies
// beyond it, as Kinesis does. It runs in the background; tests and tools may call it directly.
func (e *Engine) TrimExpired() {
	e.mu.RLock()
	streams := make([]*stream, 0, len(e.byID))
	for _, s := range e.byID {
		streams = append(streams, s)
	}
	e.mu.RUnlock()
	for _, s := range streams {
		s.mu.RLock()
		horizon := e.now().Add(-time.Duration(s.meta.RetentionHours) * time.Hour)
		shards := append([]*shard(nil), s.shards...)
		s.mu.RUnlock()
		cutoff := seqnum.CounterAt(horizon)
		for _, sh := range shards {
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
					return
				}
			}
		}
	}
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
