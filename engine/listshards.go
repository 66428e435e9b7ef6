package engine

import (
	"context"
	"time"
)

const defaultListShards = 1000

var shardFilterTypes = []string{FilterAfterShardID, FilterAtTrimHorizon, FilterFromTrimHorizon, FilterAtLatest,
	FilterAtTimestamp, FilterFromTimestamp}

// ListShards lists a stream's shards by id, filtered as ShardFilter says, a page at a time.
func (e *Engine) ListShards(ctx context.Context, in ListShardsInput) (*ListShardsOutput, error) {
	var v validation
	validateRef(&v, in.StreamRef)
	if in.MaxResults != nil {
		v.intRange(int64(*in.MaxResults), 1, 10000, "maxResults")
	}
	if in.ExclusiveStartShardId != "" {
		v.lenRange(in.ExclusiveStartShardId, len(in.ExclusiveStartShardId), 1, 128, "exclusiveStartShardId")
	}
	if f := in.ShardFilter; f != nil {
		if v.notNull(f.Type != "", "shardFilter.type") {
			v.enum(f.Type, shardFilterTypes, "shardFilter.type")
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := defaultListShards
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	filter, after := in.ShardFilter, canonicalShardID(in.ExclusiveStartShardId)
	var s *stream
	if in.NextToken != "" {
		if in.StreamName != "" || in.StreamARN != "" || in.ExclusiveStartShardId != "" || in.ShardFilter != nil ||
			in.StreamCreationTimestamp != nil {
			return nil, newError(ErrInvalidArgument, "NextToken cannot be provided together with StreamName, "+
				"StreamARN, ExclusiveStartShardId, ShardFilter or StreamCreationTimestamp.")
		}
		tok, err := e.openToken(in.NextToken, tokenListShards)
		if err != nil {
			return nil, err
		}
		e.mu.RLock()
		s = e.byID[tok.Stream]
		e.mu.RUnlock()
		if s == nil {
			return nil, newError(ErrResourceNotFound, "The stream of this NextToken no longer exists.")
		}
		filter, after = tok.Filter, tok.After
	} else {
		var err error
		if s, err = e.lookup(ctx, in.StreamRef); err != nil {
			return nil, err
		}
		s.mu.RLock()
		created := s.meta.Created
		s.mu.RUnlock()
		if in.StreamCreationTimestamp != nil && !sameCreationTime(*in.StreamCreationTimestamp, created) {
			return nil, notFound(s.key())
		}
	}
	match, err := e.shardFilter(s, filter)
	if err != nil {
		return nil, err
	}
	if filter != nil && filter.Type == FilterAfterShardID && filter.ShardId > after {
		after = filter.ShardId
	}
	out := &ListShardsOutput{Shards: []Shard{}}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sh := range s.shards {
		if (after != "" && sh.id <= after) || !match(sh) {
			continue
		}
		if len(out.Shards) == limit {
			out.NextToken = e.sealToken(pageToken{Kind: tokenListShards, Stream: s.id,
				After: out.Shards[limit-1].ShardId, Filter: filter})
			break
		}
		out.Shards = append(out.Shards, sh.describe())
	}
	return out, nil
}

// shardFilter returns the predicate a ShardFilter stands for. Caller holds no lock; the predicate runs under one.
func (e *Engine) shardFilter(s *stream, f *ShardFilter) (func(*shard) bool, error) {
	all := func(*shard) bool { return true }
	if f == nil {
		return all, nil
	}
	s.mu.RLock()
	horizon := s.horizon(e.now())
	created := s.meta.Created
	s.mu.RUnlock()
	// A time before the stream existed means its first shards, the ones a reader from the start begins with.
	openAt := func(t time.Time) func(*shard) bool {
		if t.Before(created) {
			t = created
		}
		return func(sh *shard) bool {
			return !sh.meta.Created.After(t) && (sh.isOpen() || !sh.meta.Closed.Before(t))
		}
	}
	openSince := func(t time.Time) func(*shard) bool {
		return func(sh *shard) bool { return sh.isOpen() || !sh.meta.Closed.Before(t) }
	}
	needsTimestamp := func() error {
		if f.Timestamp == nil {
			return newError(ErrInvalidArgument, "ShardFilter of type %s requires a Timestamp.", f.Type)
		}
		return nil
	}
	switch f.Type {
	case FilterAfterShardID:
		if f.ShardId == "" {
			return nil, newError(ErrInvalidArgument, "ShardFilter of type AFTER_SHARD_ID requires a ShardId.")
		}
		return all, nil
	case FilterAtLatest:
		return func(sh *shard) bool { return sh.isOpen() }, nil
	case FilterAtTrimHorizon:
		return openAt(horizon), nil
	case FilterFromTrimHorizon:
		return openSince(horizon), nil
	case FilterAtTimestamp:
		if err := needsTimestamp(); err != nil {
			return nil, err
		}
		return openAt(*f.Timestamp), nil
	case FilterFromTimestamp:
		if err := needsTimestamp(); err != nil {
			return nil, err
		}
		return openSince(*f.Timestamp), nil
	}
	return all, nil
}
