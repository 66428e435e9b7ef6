package engine

import (
	"context"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/hashkey"
)

// SplitShard splits an open shard in two at NewStartingHashKey: the parent closes, two children open.
func (e *Engine) SplitShard(ctx context.Context, in SplitShardInput) error {
	var v validation
	validateRef(&v, in.StreamRef)
	if v.notNull(in.ShardToSplit != "", "shardToSplit") {
		v.lenRange(in.ShardToSplit, len(in.ShardToSplit), 1, 128, "shardToSplit")
	}
	if v.notNull(in.NewStartingHashKey != "", "newStartingHashKey") {
		v.pattern(in.NewStartingHashKey, isDecimal(in.NewStartingHashKey, 39), explicitHashKeyPat, "newStartingHashKey")
	}
	if err := v.err(); err != nil {
		return err
	}
	s, err := e.lookup(ctx, in.StreamRef)
	if err != nil {
		return err
	}
	if _, err := hashkey.Parse(in.NewStartingHashKey); err != nil {
		return newError(ErrInvalidArgument, "NewStartingHashKey %s is not in the range [0, 2^128-1].",
			in.NewStartingHashKey)
	}
	return e.reshard(s, reshardOp{Kind: opSplit, Shard: canonicalShardID(in.ShardToSplit), At: in.NewStartingHashKey})
}

// MergeShards merges two adjacent open shards: both close, one child covering both ranges opens.
func (e *Engine) MergeShards(ctx context.Context, in MergeShardsInput) error {
	var v validation
	validateRef(&v, in.StreamRef)
	if v.notNull(in.ShardToMerge != "", "shardToMerge") {
		v.lenRange(in.ShardToMerge, len(in.ShardToMerge), 1, 128, "shardToMerge")
	}
	if v.notNull(in.AdjacentShardToMerge != "", "adjacentShardToMerge") {
		v.lenRange(in.AdjacentShardToMerge, len(in.AdjacentShardToMerge), 1, 128, "adjacentShardToMerge")
	}
	if err := v.err(); err != nil {
		return err
	}
	s, err := e.lookup(ctx, in.StreamRef)
	if err != nil {
		return err
	}
	return e.reshard(s, reshardOp{Kind: opMerge, Shard: canonicalShardID(in.ShardToMerge),
		Adjacent: canonicalShardID(in.AdjacentShardToMerge)})
}

// UpdateShardCount scales a stream to TargetShardCount evenly sized shards with a series of splits and merges, so
// every new shard has at most two parents and readers can follow the lineage.
func (e *Engine) UpdateShardCount(ctx context.Context, in UpdateShardCountInput) (*UpdateShardCountOutput, error) {
	var v validation
	validateRef(&v, in.StreamRef)
	v.intRange(int64(in.TargetShardCount), 1, 1<<31-1, "targetShardCount")
	if v.notNull(in.ScalingType != "", "scalingType") {
		v.enum(in.ScalingType, []string{ScalingUniform}, "scalingType")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, in.StreamRef)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	current := len(s.open)
	s.mu.RUnlock()
	if err := e.reshard(s, reshardOp{Kind: opScale, Target: in.TargetShardCount}); err != nil {
		return nil, err
	}
	return &UpdateShardCountOutput{StreamName: s.name, StreamARN: s.arn(), CurrentShardCount: current,
		TargetShardCount: in.TargetShardCount}, nil
}

func evenlySplit(open []*shard) bool {
	for i, r := range hashkey.EvenSplit(len(open)) {
		if open[i].meta.Start != r.Start || open[i].meta.End != r.End {
			return false
		}
	}
	return true
}

func shardNotFound(s *stream, id string) error {
	return newError(ErrResourceNotFound, "Could not find shard %s in stream %s under account %s.", id, s.name,
		s.account)
}

// reshard runs op on the committer against the current layout. Without a TransitionDelay the new layout takes
// effect at once. With one, the stream is UPDATING for that long and the layout changes at the end, as in Kinesis;
// the operation is kept in the stream's metadata meanwhile, so a restart finishes it.
func (e *Engine) reshard(s *stream, op reshardOp) error {
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		if err := requireActive(s); err != nil {
			return nil, err
		}
		l, err := e.plan(s, op)
		if err != nil {
			return nil, err
		}
		if e.opts.TransitionDelay == 0 {
			return e.applyLayout(tx, s, l)
		}
		m := s.meta
		m.Status, m.PendingReshard = StatusUpdating, &op
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() {
			s.setMeta(m)
			e.changes.fire()
			e.after(func() error { return e.finishReshard(s) })
		}, nil
	})
}

// plan lays op out against the stream's current shards and checks the account's shard limit.
func (e *Engine) plan(s *stream, op reshardOp) (*layout, error) {
	l := newLayout(s, e.now())
	if err := op.apply(s, l); err != nil {
		return nil, err
	}
	if growth := len(l.open) - len(s.open); growth > 0 {
		if err := e.checkShardLimit(Scope{s.account, s.region}, growth); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// finishReshard ends an UPDATING stream's pending reshard. If the plan no longer applies (only a shard limit
// lowered across a restart can do that), the stream goes back to ACTIVE unchanged rather than stay UPDATING.
func (e *Engine) finishReshard(s *stream) error {
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() || s.meta.Status != StatusUpdating {
			return nil, nil
		}
		if op := s.meta.PendingReshard; op != nil {
			if l, err := e.plan(s, *op); err == nil {
				return e.applyLayout(tx, s, l)
			}
		}
		m := s.meta
		m.Status, m.PendingReshard = StatusActive, nil
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() { s.setMeta(m); e.changes.fire() }, nil
	})
}

// applyLayout persists a planned layout with the stream ACTIVE and returns the in-memory switch to it.
func (e *Engine) applyLayout(tx *storage.Tx, s *stream, l *layout) (func(), error) {
	m := s.meta
	m.Status, m.PendingReshard = StatusActive, nil
	m.NextShardIndex = l.next
	for _, idx := range l.changed {
		if err := persistShard(tx, s.id, l.metas[idx]); err != nil {
			return nil, err
		}
	}
	if err := s.persist(tx, m); err != nil {
		return nil, err
	}
	return func() {
		var closed []*shard
		s.mu.Lock()
		for _, idx := range l.changed {
			sm := l.metas[idx]
			if sh := s.shardByIndex(idx); sh != nil {
				sh.meta = sm
				closed = append(closed, sh)
			} else {
				s.shards = append(s.shards, newShard(sm, e.ThroughputLimits(), l.now))
			}
		}
		s.meta = m
		s.rebuildOpen()
		s.mu.Unlock()
		for _, sh := range closed {
			sh.feed.fire() // readers parked on a closed shard learn about its children
		}
		s.feed.fire()
		e.changes.fire()
	}, nil
}
