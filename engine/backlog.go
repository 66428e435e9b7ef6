package engine

import (
	"context"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/seqnum"
)

// Backlog is what a consumer at some position of a shard has still to read: the consumer screens' lag.
type Backlog struct {
	// Records counts the records after the position, up to the limit asked for.
	Records int
	// Capped is set when there are more than Records.
	Capped bool
	// Oldest is the arrival time of the first unread record (zero when there is none): the consumer is
	// now − Oldest behind, and records older than the retention period are lost to it.
	Oldest time.Time
}

// ShardBacklog counts a shard's records after a position — a sequence number (exclusive), TRIM_HORIZON (every
// record), AT_TIMESTAMP (from at on) or LATEST (none) — up to limit, walking the shard's keys from the position on.
func (e *Engine) ShardBacklog(ctx context.Context, ref StreamRef, shardID, position string, at time.Time, limit int) (Backlog, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return Backlog{}, err
	}
	s.mu.RLock()
	sh := s.shard(shardID)
	s.mu.RUnlock()
	if sh == nil {
		return Backlog{}, shardDoesNotExist(s, shardID)
	}
	var from uint64
	switch position {
	case IteratorTrimHorizon:
	case IteratorAtTimestamp:
		from = seqnum.CounterAt(at)
	case IteratorLatest, "":
		return Backlog{}, nil
	default:
		counter, idx, err := seqnum.Parse(position)
		if err != nil || idx != sh.index {
			return Backlog{}, newError(ErrInvalidArgument, "Sequence number %s is not one of shard %s.", position, shardID)
		}
		from = counter + 1
	}
	var b Backlog
	err = e.db.View(func(tx *storage.ReadTx) error {
		tx.Scan(s.id, sh.index, from, func(counter uint64, _ []byte) bool {
			if b.Records == 0 {
				b.Oldest = seqnum.Time(counter)
			}
			if b.Records == limit {
				b.Capped = true
				return false
			}
			b.Records++
			return true
		})
		return nil
	})
	return b, err
}
