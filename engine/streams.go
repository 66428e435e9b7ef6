package engine

import (
	"context"
	"sort"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/seqnum"
)

const (
	defaultRetentionHours  = 24
	maxRetentionHours      = 8760
	onDemandInitialShards  = 4
	defaultMaxRecordKiB    = 1024
	streamNamePattern      = "[a-zA-Z0-9_.-]+"
	maxTagsPerStream       = 50
	defaultListStreamLimit = 100
	defaultDescribeShards  = 100
)

func validStreamName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return name != ""
}

func validateStreamName(v *validation, name, path string) {
	if !v.notNull(name != "", path) {
		return
	}
	v.pattern(name, validStreamName(name), streamNamePattern, path) // AWS lists the pattern before the length
	v.lenRange(name, len(name), 1, 128, path)
}

// validateRef checks the stream-addressing members every stream action shares.
func validateRef(v *validation, ref StreamRef) {
	if ref.StreamName != "" {
		validateStreamName(v, ref.StreamName, "streamName")
	}
	if ref.StreamARN != "" {
		v.lenRange(ref.StreamARN, len(ref.StreamARN), 1, 2048, "streamARN")
	}
}

// CreateStream creates a stream with evenly split shards. With a TransitionDelay it stays CREATING that long.
func (e *Engine) CreateStream(ctx context.Context, in CreateStreamInput) error {
	var v validation
	validateStreamName(&v, in.StreamName, "streamName")
	if in.ShardCount != nil {
		v.intRange(int64(*in.ShardCount), 1, 1<<31-1, "shardCount")
	}
	if in.StreamMode != "" {
		v.enum(in.StreamMode, []string{ModeProvisioned, ModeOnDemand}, "streamModeDetails.streamMode")
	}
	if in.RetentionHours != 0 {
		v.intRange(int64(in.RetentionHours), defaultRetentionHours, maxRetentionHours, "retentionPeriodHours")
	}
	if in.MaxRecordSizeInKiB != 0 {
		v.intRange(int64(in.MaxRecordSizeInKiB), defaultMaxRecordKiB, 10240, "maxRecordSizeInKiB")
	}
	v.intRange(int64(in.WarmThroughputMiBps), 0, maxWarmThroughput, "warmThroughputMiBps")
	validateTags(&v, in.Tags, "tags")
	if err := v.err(); err != nil {
		return err
	}
	if err := checkTagChars(in.Tags, nil); err != nil {
		return err
	}
	mode := in.StreamMode
	if mode == "" {
		mode = ModeProvisioned
	}
	shardCount := onDemandInitialShards
	if mode == ModeProvisioned {
		if in.ShardCount == nil {
			return newError(ErrInvalidArgument, "ShardCount is required for a stream in PROVISIONED mode.")
		}
		shardCount = *in.ShardCount
	}
	if len(in.Tags) > maxTagsPerStream {
		return newError(ErrInvalidArgument, "Failed to create stream %s: a stream cannot have more than %d tags.",
			in.StreamName, maxTagsPerStream)
	}
	sc := e.scope(ctx)
	key := scopedName{sc.Account, sc.Region, in.StreamName}
	retention := in.RetentionHours
	if retention == 0 {
		retention = defaultRetentionHours
	}
	maxRecordKiB := in.MaxRecordSizeInKiB
	if maxRecordKiB == 0 {
		maxRecordKiB = defaultMaxRecordKiB
	}
	if in.WarmThroughputMiBps > 0 && mode != ModeOnDemand {
		return newError(ErrInvalidArgument, "WarmThroughputMiBps applies to ON_DEMAND streams only.")
	}
	if in.WarmThroughputMiBps > shardCount {
		shardCount = in.WarmThroughputMiBps // one shard takes 1 MiB/s of writes
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		e.mu.RLock()
		_, exists := e.streams[key]
		e.mu.RUnlock()
		if exists {
			return nil, newError(ErrResourceInUse, "Stream %s under account %s already exists.", key.name, key.account)
		}
		if err := e.checkShardLimit(sc, shardCount); err != nil {
			return nil, err
		}
		if mode == ModeOnDemand {
			if err := e.checkOnDemandLimit(sc); err != nil {
				return nil, err
			}
		}
		id, err := tx.NextStreamID()
		if err != nil {
			return nil, err
		}
		now := e.now()
		status := StatusActive
		if e.opts.TransitionDelay > 0 {
			status = StatusCreating
		}
		s := &stream{id: id, name: in.StreamName, account: sc.Account, region: sc.Region,
			createdCounter: seqnum.CounterAt(now), tags: copyTags(in.Tags)}
		s.meta = streamMeta{
			Name: in.StreamName, Account: sc.Account, Region: sc.Region, Status: status, Mode: mode,
			RetentionHours: retention, Created: now, CreatedCounter: s.createdCounter,
			NextShardIndex: shardCount, LimitsEnforced: e.opts.EnforceLimits, MaxRecordSizeKiB: maxRecordKiB, WarmThroughputMiB: in.WarmThroughputMiBps,
			EncryptionType: EncryptionNone,
		}
		s.counter = s.meta.CreatedCounter
		s.published.Store(s.counter)
		for i, r := range hashkey.EvenSplit(shardCount) {
			m := shardMeta{Index: i, Parent: -1, AdjacentParent: -1, Start: r.Start, End: r.End,
				StartCounter: s.meta.CreatedCounter, Created: now}
			if err := persistShard(tx, id, m); err != nil {
				return nil, err
			}
			s.shards = append(s.shards, newShard(m, e.ThroughputLimits(), now))
		}
		s.rebuildOpen()
		if err := s.persist(tx, s.meta); err != nil {
			return nil, err
		}
		if err := tx.SetTags(id, s.tags); err != nil {
			return nil, err
		}
		return func() {
			e.mu.Lock()
			e.streams[key] = s
			e.byID[id] = s
			e.mu.Unlock()
			e.changes.fire()
			if status == StatusCreating {
				e.after(func() error { return e.setStatus(s, StatusCreating, StatusActive) })
			}
		}, nil
	})
}

// DeleteStream deletes a stream and all its records. With a TransitionDelay it is DELETING that long first.
func (e *Engine) DeleteStream(ctx context.Context, in DeleteStreamInput) error {
	var v validation
	validateRef(&v, in.StreamRef)
	if err := v.err(); err != nil {
		return err
	}
	s, err := e.lookup(ctx, in.StreamRef)
	if err != nil {
		return err
	}
	s.mu.RLock()
	consumers := len(s.meta.Consumers)
	s.mu.RUnlock()
	if consumers > 0 && !in.EnforceConsumerDeletion {
		return newError(ErrResourceInUse, "Stream %s under account %s has %d registered consumers; deregister them "+
			"or set EnforceConsumerDeletion.", s.name, s.account, consumers)
	}
	if e.opts.TransitionDelay == 0 {
		return e.update(e.removeStream(s))
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		m := s.meta
		if m.Status == StatusDeleting {
			return nil, nil
		}
		m.Status = StatusDeleting
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() {
			s.mu.Lock()
			s.meta = m
			s.mu.Unlock()
			e.changes.fire()
			s.feed.fire()
			e.after(func() error { return e.update(e.removeStream(s)) })
		}, nil
	})
}

// removeStream drops a stream's metadata and records in one transaction.
func (e *Engine) removeStream(s *stream) metaOp {
	return func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		if err := tx.DeleteStream(s.id); err != nil {
			return nil, err
		}
		return func() {
			s.deleted.Store(true)
			e.mu.Lock()
			delete(e.streams, s.key())
			delete(e.byID, s.id)
			e.mu.Unlock()
			s.wakeAll()
			e.changes.fire()
			go e.endStreamSubscriptions(s) // not on the committer: Close takes the subscriptions' lock
		}, nil
	}
}

// DescribeStream describes a stream and a page of its shards.
func (e *Engine) DescribeStream(ctx context.Context, in DescribeStreamInput) (*StreamDescription, error) {
	var v validation
	validateRef(&v, in.StreamRef)
	if in.Limit != nil {
		v.intRange(int64(*in.Limit), 1, 10000, "limit")
	}
	if in.ExclusiveStartShardId != "" {
		v.lenRange(in.ExclusiveStartShardId, len(in.ExclusiveStartShardId), 1, 128, "exclusiveStartShardId")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, in.StreamRef)
	if err != nil {
		return nil, err
	}
	limit := defaultDescribeShards
	if in.Limit != nil {
		limit = *in.Limit
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := &StreamDescription{
		StreamName: s.name, StreamARN: s.arn(), StreamStatus: s.meta.Status, StreamMode: s.meta.Mode,
		RetentionPeriodHours: s.meta.RetentionHours, StreamCreationTimestamp: s.meta.Created,
		EnhancedMonitoring: append([]string{}, s.meta.EnhancedMonitoring...), EncryptionType: s.meta.EncryptionType,
		KeyId: s.meta.KeyID, Shards: []Shard{},
	}
	after := canonicalShardID(in.ExclusiveStartShardId)
	shards := s.shards
	if st := s.meta.Status; st == StatusCreating || st == StatusDeleting {
		shards = nil // Kinesis lists a stream's shards only once it is ACTIVE, and no longer while it is deleted
	}
	for _, sh := range shards {
		if after != "" && sh.id <= after {
			continue
		}
		if len(out.Shards) == limit {
			out.HasMoreShards = true
			break
		}
		out.Shards = append(out.Shards, sh.describe())
	}
	return out, nil
}

// DescribeStreamSummary describes a stream without listing its shards.
func (e *Engine) DescribeStreamSummary(ctx context.Context, ref StreamRef) (*StreamSummary, error) {
	var v validation
	validateRef(&v, ref)
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	sum := s.summary()
	if sum.StreamMode == ModeOnDemand {
		w := e.warmThroughput(s)
		sum.WarmThroughput = &w
	}
	return &sum, nil
}

func (s *stream) summary() StreamSummary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return StreamSummary{
		StreamName: s.name, StreamARN: s.arn(), StreamStatus: s.meta.Status, StreamMode: s.meta.Mode,
		RetentionPeriodHours: s.meta.RetentionHours, StreamCreationTimestamp: s.meta.Created,
		EnhancedMonitoring: append([]string{}, s.meta.EnhancedMonitoring...), EncryptionType: s.meta.EncryptionType,
		KeyId: s.meta.KeyID, OpenShardCount: len(s.open), ClosedShardCount: len(s.shards) - len(s.open),
		MaxRecordSizeInKiB: s.meta.MaxRecordSizeKiB, LimitsEnforced: s.meta.LimitsEnforced,
		ConsumerCount: len(s.meta.Consumers),
	}
}

// ListStreams lists the streams of the caller's account and region by name.
func (e *Engine) ListStreams(ctx context.Context, in ListStreamsInput) (*ListStreamsOutput, error) {
	var v validation
	if in.Limit != nil {
		v.intRange(int64(*in.Limit), 1, 10000, "limit")
	}
	if in.ExclusiveStartStreamName != "" {
		validateStreamName(&v, in.ExclusiveStartStreamName, "exclusiveStartStreamName")
	}
	if in.NextToken != "" {
		v.lenRange(in.NextToken, len(in.NextToken), 1, 1048576, "nextToken")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := defaultListStreamLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	after := in.ExclusiveStartStreamName
	if in.NextToken != "" {
		if in.ExclusiveStartStreamName != "" {
			return nil, newError(ErrInvalidArgument, "NextToken and ExclusiveStartStreamName cannot be provided together.")
		}
		tok, err := e.openToken(in.NextToken, tokenListStreams)
		if err != nil {
			return nil, err
		}
		after = tok.After
	}
	out := &ListStreamsOutput{StreamNames: []string{}, StreamSummaries: []StreamSummary{}}
	for _, s := range e.streamsInScope(e.scope(ctx)) {
		if after != "" && s.name <= after {
			continue
		}
		if len(out.StreamNames) == limit {
			out.HasMoreStreams = true
			out.NextToken = e.sealToken(pageToken{Kind: tokenListStreams, After: out.StreamNames[limit-1]})
			break
		}
		out.StreamNames = append(out.StreamNames, s.name)
		out.StreamSummaries = append(out.StreamSummaries, s.summary())
	}
	return out, nil
}

// Streams returns a summary of every stream in the default scope, sorted by name: the GUI's stream list.
func (e *Engine) Streams() []StreamSummary {
	var out []StreamSummary
	for _, s := range e.streamsInScope(e.DefaultScope()) {
		out = append(out, s.summary())
	}
	return out
}

// Shards returns every shard of a stream with parsed ranges and state, by shard index.
func (e *Engine) Shards(ctx context.Context, ref StreamRef) ([]ShardInfo, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	children := map[int][]string{}
	for _, sh := range s.shards {
		for _, p := range []int{sh.meta.Parent, sh.meta.AdjacentParent} {
			if p >= 0 {
				children[p] = append(children[p], sh.id)
			}
		}
	}
	out := make([]ShardInfo, 0, len(s.shards))
	for _, sh := range s.shards {
		out = append(out, ShardInfo{Shard: sh.describe(), Index: sh.index,
			Range: hashkey.Range{Start: sh.meta.Start, End: sh.meta.End}, Open: sh.isOpen(),
			Created: sh.meta.Created, Closed: sh.meta.Closed, Children: children[sh.index]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// setStatus moves a stream from one status to another, as the end of a transition.
func (e *Engine) setStatus(s *stream, from, to string) error {
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() || s.meta.Status != from {
			return nil, nil
		}
		m := s.meta
		m.Status = to
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() { s.setMeta(m); e.changes.fire() }, nil
	})
}

func (s *stream) setMeta(m streamMeta) {
	s.mu.Lock()
	s.meta = m
	s.mu.Unlock()
	s.feed.fire()
}

// after runs fn once the transition delay has passed, off the committer goroutine.
func (e *Engine) after(fn func() error) {
	time.AfterFunc(e.opts.TransitionDelay, func() { _ = fn() })
}

// resumeTransitions finishes what a previous run left half done: CREATING streams become ACTIVE, UPDATING streams
// finish their reshard, DELETING streams are removed.
func (e *Engine) resumeTransitions() {
	e.mu.RLock()
	var streams []*stream
	for _, s := range e.byID {
		streams = append(streams, s)
	}
	e.mu.RUnlock()
	for _, s := range streams {
		switch s.meta.Status {
		case StatusCreating:
			_ = e.setStatus(s, s.meta.Status, StatusActive)
		case StatusUpdating:
			_ = e.finishReshard(s)
		case StatusDeleting:
			_ = e.update(e.removeStream(s))
			continue
		}
		for _, c := range s.meta.Consumers {
			switch c.Status {
			case ConsumerCreating:
				_ = e.setConsumerStatus(s, c.Name, c.Created, ConsumerCreating, ConsumerActive)
			case ConsumerDeleting:
				_ = e.setConsumerStatus(s, c.Name, c.Created, ConsumerDeleting, "")
			}
		}
	}
}

func (e *Engine) checkShardLimit(sc Scope, additional int) error {
	open := e.openShards(sc)
	if open+additional > e.opts.ShardLimit {
		return newError(ErrLimitExceeded, "This request would exceed the shard limit for the account %s in %s. "+
			"Current shard count for the account: %d. Limit: %d. Number of additional shards that would have "+
			"resulted from this request: %d.", sc.Account, sc.Region, open, e.opts.ShardLimit, additional)
	}
	return nil
}

func (e *Engine) openShards(sc Scope) int {
	n := 0
	for _, s := range e.streamsInScope(sc) {
		s.mu.RLock()
		n += len(s.open)
		s.mu.RUnlock()
	}
	return n
}

func (e *Engine) checkOnDemandLimit(sc Scope) error {
	n := 0
	for _, s := range e.streamsInScope(sc) {
		s.mu.RLock()
		if s.meta.Mode == ModeOnDemand {
			n++
		}
		s.mu.RUnlock()
	}
	if n >= e.opts.OnDemandStreamLimit {
		return newError(ErrLimitExceeded, "This request would exceed the on-demand stream limit for the account "+
			"%s in %s. Current on-demand stream count: %d. Limit: %d.", sc.Account, sc.Region, n,
			e.opts.OnDemandStreamLimit)
	}
	return nil
}
