package engine

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/shardlab/shardlab/engine/storage"
)

// changeMeta validates and applies a change to a stream's metadata on the committer.
func (e *Engine) changeMeta(ctx context.Context, ref StreamRef, change func(s *stream, m *streamMeta) error) error {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		m := s.meta
		if err := change(s, &m); err != nil {
			return nil, err
		}
		if err := s.persist(tx, m); err != nil {
			return nil, err
		}
		return func() { s.setMeta(m); e.changes.fire() }, nil
	})
}

func requireActive(s *stream) error {
	if s.meta.Status != StatusActive {
		return newError(ErrResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s", s.name,
			s.account, s.meta.Status)
	}
	return nil
}

// IncreaseStreamRetentionPeriod raises a stream's retention (24–8,760 hours).
func (e *Engine) IncreaseStreamRetentionPeriod(ctx context.Context, ref StreamRef, hours int) error {
	return e.changeRetention(ctx, ref, hours, true)
}

// DecreaseStreamRetentionPeriod lowers a stream's retention; records older than the new period are trimmed soon.
func (e *Engine) DecreaseStreamRetentionPeriod(ctx context.Context, ref StreamRef, hours int) error {
	return e.changeRetention(ctx, ref, hours, false)
}

func (e *Engine) changeRetention(ctx context.Context, ref StreamRef, hours int, increase bool) error {
	var v validation
	validateRef(&v, ref)
	v.intRange(int64(hours), 1, maxRetentionHours, "retentionPeriodHours")
	if err := v.err(); err != nil {
		return err
	}
	if hours < defaultRetentionHours {
		return newError(ErrInvalidArgument, "Minimum allowed retention period is 24 hours. Requested retention "+
			"period (%d hours) is too short.", hours)
	}
	err := e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		if increase && hours < m.RetentionHours {
			return newError(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be "+
				"shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, s.name,
				m.RetentionHours)
		}
		if !increase && hours > m.RetentionHours {
			return newError(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be "+
				"longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, s.name,
				m.RetentionHours)
		}
		m.RetentionHours = hours
		return nil
	})
	if err == nil && !increase {
		e.trimSoon()
	}
	return err
}

// SetLimitsEnforced switches throughput-limit enforcement for one stream, a Shardlab extension.
func (e *Engine) SetLimitsEnforced(ctx context.Context, ref StreamRef, on bool) error {
	return e.changeMeta(ctx, ref, func(_ *stream, m *streamMeta) error {
		m.LimitsEnforced = on
		return nil
	})
}

// UpdateStreamMode switches a stream between PROVISIONED and ON_DEMAND; the shards stay as they are.
func (e *Engine) UpdateStreamMode(ctx context.Context, ref StreamRef, mode string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(mode != "", "streamModeDetails.streamMode") {
		v.enum(mode, []string{ModeProvisioned, ModeOnDemand}, "streamModeDetails.streamMode")
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		if mode == ModeOnDemand && m.Mode != ModeOnDemand {
			if err := e.checkOnDemandLimit(Scope{m.Account, m.Region}); err != nil {
				return err
			}
		}
		m.Mode = mode
		return nil
	})
}

// UpdateMaxRecordSize sets the largest record (data plus partition key) a stream accepts, 1,024–10,240 KiB.
func (e *Engine) UpdateMaxRecordSize(ctx context.Context, ref StreamRef, kib int) error {
	var v validation
	validateRef(&v, ref)
	v.intRange(int64(kib), 1024, 10240, "maxRecordSizeInKiB")
	if err := v.err(); err != nil {
		return err
	}
	return e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		m.MaxRecordSizeKiB = kib
		return nil
	})
}

// DescribeLimits reports the account's shard and on-demand stream quotas in the caller's region.
func (e *Engine) DescribeLimits(ctx context.Context) Limits {
	sc := e.scope(ctx)
	out := Limits{ShardLimit: e.opts.ShardLimit, OpenShardCount: e.openShards(sc),
		OnDemandStreamCountLimit: e.opts.OnDemandStreamLimit}
	for _, s := range e.streamsInScope(sc) {
		s.mu.RLock()
		if s.meta.Mode == ModeOnDemand {
			out.OnDemandStreamCount++
		}
		s.mu.RUnlock()
	}
	return out
}

// Tag is one stream tag.
type Tag struct{ Key, Value string }

// ListTagsOutput mirrors ListTagsForStream.
type ListTagsOutput struct {
	Tags        []Tag
	HasMoreTags bool
}

// AddTagsToStream adds or overwrites tags; a stream holds at most 50.
func (e *Engine) AddTagsToStream(ctx context.Context, ref StreamRef, tags map[string]string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(tags != nil, "tags") {
		v.lenRange(mapValue(len(tags)), len(tags), 1, maxTagsPerStream, "tags")
		validateTags(&v, tags, "tags")
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.changeTags(ctx, ref, func(s *stream, cur map[string]string) error {
		for k, val := range tags {
			cur[k] = val
		}
		if len(cur) > maxTagsPerStream {
			return newError(ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given "+
				"stream cannot have more than %d tags associated with it.", s.name, s.account, maxTagsPerStream)
		}
		return nil
	})
}

// RemoveTagsFromStream removes tags by key; unknown keys are ignored, as in Kinesis.
func (e *Engine) RemoveTagsFromStream(ctx context.Context, ref StreamRef, keys []string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(keys != nil, "tagKeys") {
		v.lenRange(listValue(keys), len(keys), 1, maxTagsPerStream, "tagKeys")
		for i, k := range keys {
			validateTagKey(&v, k, "tagKeys."+strconv.Itoa(i+1)+".member")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.changeTags(ctx, ref, func(_ *stream, cur map[string]string) error {
		for _, k := range keys {
			delete(cur, k)
		}
		return nil
	})
}

func (e *Engine) changeTags(ctx context.Context, ref StreamRef, change func(*stream, map[string]string) error) error {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		tags := copyTags(s.tags)
		if err := change(s, tags); err != nil {
			return nil, err
		}
		if err := tx.SetTags(s.id, tags); err != nil {
			return nil, err
		}
		return func() {
			s.mu.Lock()
			s.tags = tags
			s.mu.Unlock()
		}, nil
	})
}

// ListTagsForStream lists tags by key, after ExclusiveStartTagKey, at most limit (1–50, default 50).
func (e *Engine) ListTagsForStream(ctx context.Context, ref StreamRef, exclusiveStartTagKey string, limit *int) (*ListTagsOutput, error) {
	var v validation
	validateRef(&v, ref)
	if limit != nil {
		v.intRange(int64(*limit), 1, maxTagsPerStream, "limit")
	}
	if exclusiveStartTagKey != "" {
		validateTagKey(&v, exclusiveStartTagKey, "exclusiveStartTagKey")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	n := maxTagsPerStream
	if limit != nil {
		n = *limit
	}
	s.mu.RLock()
	keys := make([]string, 0, len(s.tags))
	for k := range s.tags {
		if k > exclusiveStartTagKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := &ListTagsOutput{Tags: []Tag{}}
	for _, k := range keys {
		if len(out.Tags) == n {
			out.HasMoreTags = true
			break
		}
		out.Tags = append(out.Tags, Tag{k, s.tags[k]})
	}
	s.mu.RUnlock()
	return out, nil
}

func validateTags(v *validation, tags map[string]string, path string) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		validateTagKey(v, k, path+"."+k+".key")
		if !validTagChars(tags[k]) || len([]rune(tags[k])) > 256 {
			v.fail(tags[k], path+"."+k+".value", "Member must have length less than or equal to 256 and "+
				"contain only Unicode letters, digits, white space, _ . / = + - % @")
		}
	}
}

func validateTagKey(v *validation, k, path string) {
	v.lenRange(k, len([]rune(k)), 1, 128, path)
	if !validTagChars(k) {
		v.fail(k, path, "Member must contain only Unicode letters, digits, white space, _ . / = + - % @")
	}
}

func validTagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !containsRune("_./=+-%@:", r) {
			return false
		}
	}
	return true
}

func containsRune(set string, r rune) bool {
	for _, c := range set {
		if c == r {
			return true
		}
	}
	return false
}

func copyTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

func mapValue(n int) string       { return "{" + strconv.Itoa(n) + " entries}" }
func listValue(l []string) string { return "[" + strings.Join(l, ", ") + "]" }
