package engine

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
)

// Minimum throughput billing commitment statuses, as DescribeAccountSettings reports them.
const (
	CommitmentEnabled              = "ENABLED"
	CommitmentDisabled             = "DISABLED"
	CommitmentEnabledUntilEarliest = "ENABLED_UNTIL_EARLIEST_ALLOWED_END"

	commitmentMinimum  = 24 * time.Hour
	accountNamespace   = "account-settings"
	maxWarmThroughput  = 10240
	mibPerShardWritten = 1
)

// BillingCommitment mirrors MinimumThroughputBillingCommitmentOutput. Times are zero when unset.
type BillingCommitment struct {
	Status               string
	StartedAt            time.Time
	EndedAt              time.Time
	EarliestAllowedEndAt time.Time
}

// DescribeAccountSettings returns the caller's account settings in its region.
func (e *Engine) DescribeAccountSettings(ctx context.Context) (BillingCommitment, error) {
	var c BillingCommitment
	key := accountKey(e.scope(ctx))
	err := e.db.View(func(tx *storage.ReadTx) error {
		if b := tx.Checkpoint(accountNamespace, key); b != nil {
			return json.Unmarshal(b, &c)
		}
		return nil
	})
	if c.Status == "" {
		c.Status = CommitmentDisabled
	}
	if c.Status == CommitmentEnabledUntilEarliest && !e.now().Before(c.EarliestAllowedEndAt) {
		c.Status, c.EndedAt = CommitmentDisabled, c.EarliestAllowedEndAt
	}
	return c, err
}

// UpdateAccountSettings enables or disables the minimum throughput billing commitment. A commitment runs at least
// 24 hours: disabling it earlier leaves it enabled until its earliest allowed end.
func (e *Engine) UpdateAccountSettings(ctx context.Context, status string) (BillingCommitment, error) {
	var v validation
	if v.notNull(status != "", "minimumThroughputBillingCommitment.status") {
		v.enum(status, []string{CommitmentEnabled, CommitmentDisabled}, "minimumThroughputBillingCommitment.status")
	}
	if err := v.err(); err != nil {
		return BillingCommitment{}, err
	}
	cur, err := e.DescribeAccountSettings(ctx)
	if err != nil {
		return BillingCommitment{}, err
	}
	now := e.now().UTC()
	next := cur
	switch {
	case status == CommitmentEnabled && cur.Status != CommitmentEnabled:
		next = BillingCommitment{Status: CommitmentEnabled, StartedAt: now, EarliestAllowedEndAt: now.Add(commitmentMinimum)}
	case status == CommitmentDisabled && cur.Status == CommitmentEnabled && now.Before(cur.EarliestAllowedEndAt):
		next.Status = CommitmentEnabledUntilEarliest
	case status == CommitmentDisabled && cur.Status == CommitmentEnabled:
		next.Status, next.EndedAt = CommitmentDisabled, now
	}
	blob, _ := json.Marshal(next)
	key := accountKey(e.scope(ctx))
	err = e.update(func(tx *storage.Tx) (func(), error) {
		return nil, tx.PutCheckpoint(accountNamespace, key, blob)
	})
	return next, err
}

func accountKey(sc Scope) string { return sc.Account + "/" + sc.Region }

// WarmThroughput mirrors WarmThroughputObject, in MiB/s.
type WarmThroughput struct {
	TargetMiBps  int
	CurrentMiBps int
}

// UpdateStreamWarmThroughput makes an on-demand stream ready for targetMiBps of writes at once: it scales the open
// shards (1 MiB/s of writes each) up to what the target needs, at most doubling them per call as UpdateShardCount
// does. A smaller target keeps the shards as they are.
func (e *Engine) UpdateStreamWarmThroughput(ctx context.Context, ref StreamRef, targetMiBps int) (WarmThroughput, error) {
	var v validation
	validateRef(&v, ref)
	v.intRange(int64(targetMiBps), 0, maxWarmThroughput, "warmThroughputMiBps")
	if err := v.err(); err != nil {
		return WarmThroughput{}, err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return WarmThroughput{}, err
	}
	s.mu.RLock()
	mode, open := s.meta.Mode, len(s.open)
	s.mu.RUnlock()
	if mode != ModeOnDemand {
		return WarmThroughput{}, newError(ErrInvalidArgument, "Warm throughput applies to ON_DEMAND streams; stream "+
			"%s is %s.", s.name, mode)
	}
	need := int(math.Ceil(float64(targetMiBps) / mibPerShardWritten))
	if need > open {
		err := e.reshard(s, reshardOp{Kind: opScale, Target: min(need, 2*open)})
		if err != nil {
			return WarmThroughput{}, err
		}
	}
	err = e.changeMeta(ctx, ref, func(_ *stream, m *streamMeta) error {
		m.WarmThroughputMiB = targetMiBps
		return nil
	})
	if err != nil {
		return WarmThroughput{}, err
	}
	return e.warmThroughput(s), nil
}

func (e *Engine) warmThroughput(s *stream) WarmThroughput {
	perShard := e.ThroughputLimits().WriteBytesPerSec / (1 << 20)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return WarmThroughput{TargetMiBps: s.meta.WarmThroughputMiB, CurrentMiBps: int(float64(len(s.open)) * perShard)}
}
