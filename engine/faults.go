package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"
)

// FaultSpec is what to inject into calls on a stream or one of its shards, so a workshop can show how clients
// retry: each rate is a probability in [0, 1].
type FaultSpec struct {
	// ThrottleRate refuses a record (PutRecords) or a call with ProvisionedThroughputExceededException.
	ThrottleRate float64
	// InternalFailureRate fails a record (PutRecords) or a call with InternalFailure.
	InternalFailureRate float64
	// ServiceUnavailableRate fails a whole call with ServiceUnavailable.
	ServiceUnavailableRate float64
	// Latency is added to every call.
	Latency time.Duration
}

// IsZero reports whether the spec injects nothing.
func (f FaultSpec) IsZero() bool { return f == FaultSpec{} }

func (f FaultSpec) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"ThrottleRate", f.ThrottleRate}, {"InternalFailureRate", f.InternalFailureRate},
		{"ServiceUnavailableRate", f.ServiceUnavailableRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return newError(ErrInvalidArgument, "%s %v is not a probability between 0 and 1.", r.name, r.v)
		}
	}
	if f.Latency < 0 || f.Latency > time.Minute {
		return newError(ErrInvalidArgument, "Latency %v is outside 0 to 1 minute.", f.Latency)
	}
	return nil
}

// faultTable is a stream's faults: one for the whole stream and one per shard index. It is replaced, never
// changed, so the put and read paths read it without a lock.
type faultTable struct {
	stream FaultSpec
	shards map[int]FaultSpec
}

type faults struct{ table atomic.Pointer[faultTable] }

// forShard combines the stream's and the shard's faults: the larger rate and the longer latency win.
func (f *faults) forShard(index int) FaultSpec {
	t := f.table.Load()
	if t == nil {
		return FaultSpec{}
	}
	s, ok := t.shards[index]
	if !ok {
		return t.stream
	}
	return FaultSpec{
		ThrottleRate:           max(s.ThrottleRate, t.stream.ThrottleRate),
		InternalFailureRate:    max(s.InternalFailureRate, t.stream.InternalFailureRate),
		ServiceUnavailableRate: max(s.ServiceUnavailableRate, t.stream.ServiceUnavailableRate),
		Latency:                max(s.Latency, t.stream.Latency),
	}
}

func (f *faults) active() bool { return f.table.Load() != nil }

// SetFaults injects faults into a stream (shardID "") or one of its shards; a zero spec clears them. Faults live in
// memory only, so a restart never leaves a stream failing by surprise.
func (e *Engine) SetFaults(ctx context.Context, ref StreamRef, shardID string, spec FaultSpec) error {
	if err := spec.validate(); err != nil {
		return err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	index := -1
	if shardID != "" {
		s.mu.RLock()
		sh := s.shard(shardID)
		s.mu.RUnlock()
		if sh == nil {
			return shardNotFound(s, shardID)
		}
		index = sh.index
	}
	for {
		old := s.faults.table.Load()
		next := &faultTable{shards: map[int]FaultSpec{}}
		if old != nil {
			next.stream = old.stream
			for k, v := range old.shards {
				next.shards[k] = v
			}
		}
		if index < 0 {
			next.stream = spec
		} else if spec.IsZero() {
			delete(next.shards, index)
		} else {
			next.shards[index] = spec
		}
		if next.stream.IsZero() && len(next.shards) == 0 {
			next = nil
		}
		if s.faults.table.CompareAndSwap(old, next) {
			break
		}
	}
	s.feed.fire()
	return nil
}

// Faults lists the faults injected into a stream: key "" for the whole stream, shard ids for single shards.
func (e *Engine) Faults(ctx context.Context, ref StreamRef) (map[string]FaultSpec, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := map[string]FaultSpec{}
	t := s.faults.table.Load()
	if t == nil {
		return out, nil
	}
	if !t.stream.IsZero() {
		out[""] = t.stream
	}
	ids := make([]int, 0, len(t.shards))
	for idx := range t.shards {
		ids = append(ids, idx)
	}
	sort.Ints(ids)
	for _, idx := range ids {
		out[shardID(idx)] = t.shards[idx]
	}
	return out, nil
}

// injectCall applies a shard's call-level faults: it waits out the added latency, then may fail the whole call.
// Records-level faults of PutRecords are drawn per record by injectRecord.
func (e *Engine) injectCall(s *stream, shards []*shard, now time.Time, recordLevel bool) error {
	if !s.faults.active() {
		return nil
	}
	var spec FaultSpec
	for _, sh := range shards {
		f := s.faults.forShard(sh.index)
		spec.Latency = max(spec.Latency, f.Latency)
		spec.ServiceUnavailableRate = max(spec.ServiceUnavailableRate, f.ServiceUnavailableRate)
		spec.ThrottleRate = max(spec.ThrottleRate, f.ThrottleRate)
		spec.InternalFailureRate = max(spec.InternalFailureRate, f.InternalFailureRate)
	}
	if spec.Latency > 0 {
		time.Sleep(spec.Latency)
	}
	count := func() {
		for _, sh := range shards {
			sh.metrics.add(now, InjectedFaults, 1)
		}
	}
	if hit(spec.ServiceUnavailableRate) {
		count()
		return newError(ErrServiceUnavailable, "Service Unavailable (injected by Shardlab's fault injection).")
	}
	if recordLevel {
		return nil
	}
	if hit(spec.ThrottleRate) {
		count()
		return newError(ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.",
			shards[0].id, s.name, s.account)
	}
	if hit(spec.InternalFailureRate) {
		count()
		return newError(ErrInternalFailure, "Internal service failure (injected by Shardlab's fault injection).")
	}
	return nil
}

// injectRecord draws one record's fate in PutRecords: "" to let it through, or an error code and message.
func (e *Engine) injectRecord(s *stream, sh *shard, now time.Time) (code, msg string) {
	spec := s.faults.forShard(sh.index)
	switch {
	case hit(spec.ThrottleRate):
		code, msg = ErrThroughputExceeded, fmt.Sprintf("Rate exceeded for shard %s in stream %s under account %s.",
			sh.id, s.name, s.account)
	case hit(spec.InternalFailureRate):
		code, msg = ErrInternalFailure, "Internal service failure."
	default:
		return "", ""
	}
	sh.metrics.add(now, InjectedFaults, 1)
	return code, msg
}

func hit(rate float64) bool { return rate > 0 && rand.Float64() < rate }
