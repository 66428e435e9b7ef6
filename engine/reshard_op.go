package engine

import (
	"github.com/shardlab/shardlab/internal/hashkey"
)

// Resharding operations, as kept in a stream's metadata while it is UPDATING.
const (
	opSplit = "split"
	opMerge = "merge"
	opScale = "scale"
)

// reshardOp is one SplitShard, MergeShards or UpdateShardCount request, validated against the shards as they are
// when it runs, which is when the stream stops being UPDATING.
type reshardOp struct {
	Kind     string
	Shard    string `json:",omitempty"`
	Adjacent string `json:",omitempty"`
	At       string `json:",omitempty"` // NewStartingHashKey, decimal
	Target   int    `json:",omitempty"`
}

// apply edits the layout, or says why the operation is not possible. Runs on the committer.
func (op reshardOp) apply(s *stream, l *layout) error {
	switch op.Kind {
	case opSplit:
		return op.split(s, l)
	case opMerge:
		return op.merge(s, l)
	case opScale:
		return op.scale(s, l)
	}
	return newError(ErrInternalFailure, "Internal service failure: unknown reshard operation %q.", op.Kind)
}

func (op reshardOp) split(s *stream, l *layout) error {
	sh, err := openShard(s, op.Shard)
	if err != nil {
		return err
	}
	at, err := hashkey.Parse(op.At)
	if err != nil || !sh.meta.Start.Add1().Less(at) || !at.Less(sh.meta.End) {
		return newError(ErrInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s "+
			"under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the "+
			"shard's EndingHashKey %s.", op.At, sh.id, s.name, s.account, sh.meta.Start, sh.meta.End)
	}
	l.split(sh.index, at)
	return nil
}

func (op reshardOp) merge(s *stream, l *layout) error {
	a, err := openShard(s, op.Shard)
	if err != nil {
		return err
	}
	b, err := openShard(s, op.Adjacent)
	if err != nil {
		return err
	}
	ra, rb := hashkey.Range{Start: a.meta.Start, End: a.meta.End}, hashkey.Range{Start: b.meta.Start, End: b.meta.End}
	// ShardToMerge must be the lower of the two, as in Kinesis: the pair the other way round is refused.
	if !ra.Adjacent(rb) {
		return newError(ErrInvalidArgument, "Shards %s and %s in stream %s under account %s are not an adjacent "+
			"pair of shards eligible for merging", a.id, b.id, s.name, s.account)
	}
	l.merge(a.index, b.index)
	return nil
}

func (op reshardOp) scale(s *stream, l *layout) error {
	current, target := len(s.open), op.Target
	switch {
	case target > 2*current:
		return newError(ErrLimitExceeded, "UpdateShardCount cannot scale up over double your current open shard "+
			"count. Current open shard count: %d, Target shard count: %d", current, target)
	case 2*target < current:
		return newError(ErrLimitExceeded, "UpdateShardCount cannot scale down below half your current open shard "+
			"count. Current open shard count: %d, Target shard count: %d", current, target)
	case target == current && evenlySplit(s.open):
		return newError(ErrInvalidArgument, "Stream %s already has %d evenly split open shards.", s.name, current)
	}
	l.scaleUniformly(target)
	return nil
}

// openShard finds a shard a reshard can act on: it must exist and still be open.
func openShard(s *stream, id string) (*shard, error) {
	sh := s.shard(id)
	if sh == nil {
		return nil, shardNotFound(s, id)
	}
	if !sh.isOpen() {
		return nil, newError(ErrInvalidArgument, "Shard %s in stream %s under account %s has already been merged or "+
			"split, and thus is not eligible for merging or splitting.", id, s.name, s.account)
	}
	return sh, nil
}
