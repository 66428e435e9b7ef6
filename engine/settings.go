package engine

import (
	"context"

	"github.com/shardlab/shardlab/engine/storage"
)

// onStream runs op on the committer for the stream ref names, unless it was deleted meanwhile.
func (e *Engine) onStream(ctx context.Context, ref StreamRef, op func(*stream, *storage.Tx) (func(), error)) error {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		if s.deleted.Load() {
			return nil, notFound(s.key())
		}
		return op(s, tx)
	})
}

// changeMeta validates and applies a change to a stream's metadata on the committer.
func (e *Engine) changeMeta(ctx context.Context, ref StreamRef, change func(s *stream, m *streamMeta) error) error {
	return e.onStream(ctx, ref, func(s *stream, tx *storage.Tx) (func(), error) {
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

// requireActive refuses a change to a stream that is CREATING, UPDATING or DELETING. Runs on the committer.
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
	v.intRange(int64(hours), 1, 1<<31-1, "retentionPeriodHours")
	if err := v.err(); err != nil {
		return err
	}
	if hours > maxRetentionHours {
		return newError(ErrInvalidArgument, "Maximum allowed retention period is %d hours. Requested retention "+
			"period (%d hours) is too long.", maxRetentionHours, hours)
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

// ReadsLimited reports whether a stream's reads are held to Kinesis's per-shard limits (5 GetRecords calls and
// 2 MiB a second): a reader with a backlog may read again at once when they are not.
func (e *Engine) ReadsLimited(ctx context.Context, ref StreamRef) bool {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta.LimitsEnforced && !e.opts.LimitsOff
}
