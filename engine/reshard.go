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
	at, err := hashkey.Parse(in.NewStartingHashKey)
	if err != nil {
		return newError(ErrInvalidArgument, "NewStartingHashKey %s is not in the range [0, 2^128-1].",
			in.NewStartingHashKey)
	}
	return e.reshard(s, func(l *layout) error {
		sh := s.shard(in.ShardToSplit)
		if sh == nil || !sh.isOpen() {
			return shardNotFound(s, in.ShardToSplit)
		}
		if !sh.meta.Start.Add1().Less(at) || !at.Less(sh.meta.End) {
			return newError(ErrInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in "+
				"stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and "+
				"less than the shard's EndingHashKey %s.", in.NewStartingHashKey, sh.id, s.name, s.account,
				sh.meta.Start, sh.meta.End)
		}
		l.split(sh.index, at)
		return nil
	})
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
	return e.reshard(s, func(l *layout) error {
		a, b := s.shard(in.ShardToMerge), s.shard(in.AdjacentShardToMerge)
		for _, p := range []struct {
			sh *shard
			id string
		}{{a, in.ShardToMerge}, {b, in.AdjacentShardToMerge}} {
			if p.sh == nil || !p.sh.isOpen() {
				return shardNotFound(s, p.id)
			}
		}
		ra, rb := hashkey.Range{Start: a.meta.Start, End: a.meta.End}, hashkey.Range{Start: b.meta.Start, End: b.meta.End}
		if !ra.Adjacent(rb) && !rb.Adjacent(ra) {
			return newError(ErrInvalidArgument, "Shards %s and %s in stream %s under account %s are not an "+
				"adjacent pair of shards eligible for merging", a.id, b.id, s.name, s.account)
		}
		l.merge(a.index, b.index)
		return nil
	})
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
	var current int
	err = e.reshard(s, func(l *layout) error {
		current = len(s.open)
		target := in.TargetShardCount
		if target > 2*current || 2*target < current {
			return newError(ErrInvalidArgument, "UpdateShardCount cannot scale stream %s from %d to %d "+
				"shards: the target must be between half and double the current open shard count.",
				s.name, current, target)
		}
		if target == current && evenlySplit(s.open) {
			return newError(ErrInvalidArgument, "Stream %s already has %d evenly split open shards.",
				s.name, current)
		}
		l.scaleUniformly(target)
		return nil
	})
	if err != nil {
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

// reshard runs plan on the committer against the current layout. With a TransitionDelay the stream is UPDATING for
// that long and the new layout takes effect at the end, as in Kinesis (the plan runs again then, against the same
// shards, since nothing else can reshard an UPDATING stream); without one it takes effect at once.
func (e *Engine) reshard(s *stream, plan func(*layout) error) error {
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		if s.meta.Status != StatusActive {
			return nil, newError(ErrResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s",
				s.name, s.account, s.meta.Status)
		}
		l := newLayout(s, e.now())
		if err := plan(l); err != nil {
			return nil, err
		}
		if growth := len(l.open) - len(s.open); growth > 0 {
			if err := e.checkShardLimit(Scope{s.account, s.region}, growth); err != nil {
				return nil, err
			}
		}
		if e.opts.TransitionDelay == 0 {
			return e.applyLayout(tx, s, l)
		}
		m := s.meta
		m.Status = StatusUpdating
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() {
			s.setMeta(m)
			e.changes.fire()
			e.after(func() error {
				return e.update(func(tx *storage.Tx) (func(), error) {
					if s.deleted.Load() || s.meta.Status != StatusUpdating {
						return nil, nil
					}
					l := newLayout(s, e.now())
					if err := plan(l); err != nil {
						return nil, err
					}
					return e.applyLayout(tx, s, l)
				})
			})
		}, nil
	})
}

// applyLayout persists a planned layout with the stream ACTIVE and returns the in-memory switch to it.
func (e *Engine) applyLayout(tx *storage.Tx, s *stream, l *layout) (func(), error) {
	m := s.meta
	m.Status = StatusActive
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
