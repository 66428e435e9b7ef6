package video

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Start selector types of GetMedia; PRODUCER_TIMESTAMP and SERVER_TIMESTAMP are ProducerTimestamp and
// ServerTimestamp.
const (
	StartNow               = "NOW"                // the next fragment stored
	StartEarliest          = "EARLIEST"           // the oldest fragment kept
	StartFragmentNumber    = "FRAGMENT_NUMBER"    // the fragment after AfterFragmentNumber
	StartContinuationToken = "CONTINUATION_TOKEN" // where an earlier GetMedia stopped
)

// DefaultIdleTimeout is how long GetMedia waits for a new fragment before it ends, at least: with fragments
// longer than half of it, it waits two fragment durations.
const DefaultIdleTimeout = 5 * time.Second

// StartSelector says where GetMedia starts, as KVS's StartSelector does.
type StartSelector struct {
	StartSelectorType   string
	AfterFragmentNumber uint64    // FRAGMENT_NUMBER: start with the fragment after this one
	StartTimestamp      time.Time // PRODUCER_TIMESTAMP: the fragment holding it; SERVER_TIMESTAMP: the last arrived by then
	ContinuationToken   string    // CONTINUATION_TOKEN: a token an earlier GetMedia returned
}

// GetMediaInput is what GetMedia takes.
type GetMediaInput struct {
	StreamName    string
	StartSelector StartSelector
	// IdleTimeout ends the media when no new fragment comes for this long; 0 means DefaultIdleTimeout (or two
	// fragment durations, when longer), a negative value waits until ctx ends.
	IdleTimeout time.Duration
}

// Validate checks the input, naming the field and what it must be.
func (in GetMediaInput) Validate() error {
	sel := in.StartSelector
	switch sel.StartSelectorType {
	case StartNow, StartEarliest:
	case StartFragmentNumber:
		if sel.AfterFragmentNumber == 0 {
			return fmt.Errorf("StartSelector.AfterFragmentNumber: required with %s (fragment numbers start at 1)", StartFragmentNumber)
		}
	case ProducerTimestamp, ServerTimestamp:
		if sel.StartTimestamp.IsZero() {
			return fmt.Errorf("StartSelector.StartTimestamp: required with %s", sel.StartSelectorType)
		}
	case StartContinuationToken:
		if sel.ContinuationToken == "" {
			return fmt.Errorf("StartSelector.ContinuationToken: required with %s", StartContinuationToken)
		}
		if _, err := parseContinuationToken(in.StreamName, sel.ContinuationToken); err != nil {
			return err
		}
	case "":
		return fmt.Errorf("StartSelector.StartSelectorType: required, one of %s", startSelectorTypes)
	default:
		return fmt.Errorf("StartSelector.StartSelectorType: %q is not one of %s", sel.StartSelectorType, startSelectorTypes)
	}
	return nil
}

var startSelectorTypes = strings.Join([]string{StartNow, StartEarliest, StartFragmentNumber, ProducerTimestamp,
	ServerTimestamp, StartContinuationToken}, ", ")

// GetMedia sends a stream's fragments to emit one after another, from where the selector says, then follows the
// stream live: it waits for each new fragment until ctx ends, emit fails or the stream stays idle (see
// IdleTimeout), as KVS's GetMedia does. Streams with retention 0 serve the few newest fragments from memory.
// It returns a continuation token that resumes after the last fragment sent (or where it would have started).
func (s *Store) GetMedia(ctx context.Context, in GetMediaInput, emit func(FragmentInfo, []byte) error) (string, error) {
	if err := in.Validate(); err != nil {
		return "", err
	}
	st, err := s.DescribeStream(in.StreamName)
	if err != nil {
		return "", err
	}
	name, sel := in.StreamName, in.StartSelector
	var after uint64   // the last fragment sent, or the one before the start
	var from time.Time // for the timestamp selectors: fragments that end by then are passed over
	switch sel.StartSelectorType {
	case StartNow:
		after = st.NextFragment - 1
	case StartFragmentNumber:
		after = sel.AfterFragmentNumber
	case StartContinuationToken:
		after, _ = parseContinuationToken(name, sel.ContinuationToken) // validated
	case ProducerTimestamp:
		from = sel.StartTimestamp
	case ServerTimestamp:
		if after, err = s.afterServerTime(st, sel.StartTimestamp); err != nil {
			return "", err
		}
	}
	wait := func(longest time.Duration) time.Duration {
		if in.IdleTimeout == 0 {
			return max(DefaultIdleTimeout, 2*longest)
		}
		return in.IdleTimeout
	}
	// a stream of long fragments is not idle between them, from the first wait on
	newest, _ := s.fragmentsAfter(st, max(st.NextFragment, 2)-2)
	longest := time.Duration(0)
	for _, f := range newest {
		longest = max(longest, f.info.Duration)
	}
	t := time.NewTimer(wait(longest))
	defer t.Stop()
	idle := t.C
	if in.IdleTimeout < 0 {
		idle = nil
	}
	for {
		woken := s.NewFragment(name) // before looking, so a fragment stored meanwhile still wakes us
		frags, err := s.fragmentsAfter(st, after)
		if err != nil {
			return ContinuationToken(name, after), err
		}
		for _, f := range frags {
			sent := after
			after = f.info.Number
			longest = max(longest, f.info.Duration)
			if !from.IsZero() {
				if !f.info.ProducerTimestamp.Add(f.info.Duration).After(from) {
					continue // ends before the start: the fragment holding it is later
				}
				from = time.Time{} // started: from here on every fragment goes
			}
			media := f.media
			if media == nil {
				if media, err = s.FragmentMedia(name, f.info.Number); err != nil {
					continue // trimmed by retention since it was listed
				}
			}
			if err := emit(f.info, media); err != nil {
				return ContinuationToken(name, sent), err // the reader did not take it: resume with it
			}
		}
		if len(frags) > 0 && idle != nil {
			t.Reset(wait(longest))
		}
		select {
		case <-ctx.Done():
			return ContinuationToken(name, after), ctx.Err()
		case <-idle:
			return ContinuationToken(name, after), nil
		case <-woken:
		}
	}
}

// fragmentsAfter lists a stream's fragments numbered after after: stored ones with their media left to fetch,
// or, with retention 0, the ones still in memory.
func (s *Store) fragmentsAfter(st Stream, after uint64) ([]storedFragment, error) {
	if st.RetentionHours == 0 {
		if _, err := s.DescribeStream(st.Name); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []storedFragment
		for _, f := range s.unkept[st.Name] {
			if f.info.Number > after {
				out = append(out, f)
			}
		}
		return out, nil
	}
	var out []storedFragment
	err := s.scanFragments(st.Name, after, func(fi FragmentInfo) bool {
		out = append(out, storedFragment{info: fi})
		return true
	})
	return out, err
}

// afterServerTime is where a SERVER_TIMESTAMP start begins: a fragment holds the server times from its own to the
// next one's arrival (an upload's fragments arrive milliseconds apart, whatever their media's length), so the
// start is the last fragment that arrived by then — or, when the newest arrived by then and its media has
// also ended, the next fragment to come.
func (s *Store) afterServerTime(st Stream, at time.Time) (uint64, error) {
	frags, err := s.fragmentsAfter(st, 0)
	if err != nil {
		return 0, err
	}
	var holding *FragmentInfo
	for i := range frags {
		if frags[i].info.ServerTimestamp.After(at) {
			break
		}
		holding = &frags[i].info
	}
	switch {
	case holding == nil:
		return 0, nil // everything arrived later: from the first
	case holding.Number == frags[len(frags)-1].info.Number && !holding.ServerTimestamp.Add(holding.Duration).After(at):
		return holding.Number, nil
	}
	return holding.Number - 1, nil
}

// ContinuationToken is the GetMedia continuation token that resumes a stream after fragment after. It is opaque
// to clients; the stream's name is folded in so a token of another stream is refused.
func ContinuationToken(stream string, after uint64) string {
	return fmt.Sprintf("%d.%08x", after, streamHash(stream))
}

func parseContinuationToken(stream, token string) (uint64, error) {
	n, hash, ok := strings.Cut(token, ".")
	after, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil || hash != fmt.Sprintf("%08x", streamHash(stream)) {
		return 0, fmt.Errorf("StartSelector.ContinuationToken: %q is not a token GetMedia gave for stream %s", token, stream)
	}
	return after, nil
}

func streamHash(stream string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(stream))
	return h.Sum32()
}
