package video

import (
	"errors"
	"fmt"
	"time"
)

// Data retention change operations, as UpdateDataRetention names them.
const (
	IncreaseRetention = "INCREASE_DATA_RETENTION"
	DecreaseRetention = "DECREASE_DATA_RETENTION"
)

// ErrVersionMismatch is an update made against a stream version that is no longer current.
var ErrVersionMismatch = errors.New("the stream's version is not the one given")

// UpdateDataRetention changes how long a stream keeps its fragments, by change hours up or down, as KVS does: only
// from the stream's current version (a stale one is refused, so two editors do not undo each other), and never
// to or from 0 (a stream that keeps nothing stays so). Fragments past a shortened retention go at the next trim.
func (s *Store) UpdateDataRetention(name, currentVersion, operation string, change int) (Stream, error) {
	if change < 1 {
		return Stream{}, fmt.Errorf("DataRetentionChangeInHours: %d, at least 1", change)
	}
	if operation != IncreaseRetention && operation != DecreaseRetention {
		return Stream{}, fmt.Errorf("the Operation %q is neither %s nor %s", operation, IncreaseRetention, DecreaseRetention)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st == nil {
		return Stream{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if currentVersion != st.Version {
		return Stream{}, fmt.Errorf("%w: CurrentVersion %q, the stream is at %q", ErrVersionMismatch, currentVersion, st.Version)
	}
	hours := st.RetentionHours + change
	if operation == DecreaseRetention {
		hours = st.RetentionHours - change
	}
	switch {
	case st.RetentionHours == 0:
		return Stream{}, fmt.Errorf("DataRetentionInHours: %s keeps no fragments (0 hours); that cannot change", name)
	case hours < 1 || hours > MaxRetentionHours:
		return Stream{}, fmt.Errorf("DataRetentionChangeInHours: %d from %d hours gives %d, outside 1–%d", change, st.RetentionHours, hours, MaxRetentionHours)
	}
	next := *st
	next.RetentionHours = hours
	next.Version = fmt.Sprint(max(time.Now().UnixMilli(), versionNumber(st.Version)+1))
	if err := s.save(&next); err != nil {
		return Stream{}, err
	}
	*st = next
	if operation == DecreaseRetention {
		go s.Trim(time.Now()) // off the caller: what the shorter retention no longer covers goes now
	}
	return next, nil
}

func versionNumber(v string) int64 {
	var n int64
	fmt.Sscan(v, &n)
	return n
}
