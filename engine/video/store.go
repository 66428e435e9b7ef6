package video

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/video/container"
)

// Stream is a video stream as described: Kinesis Video Streams' fields, and what it holds.
type Stream struct {
	Name           string    `json:"name"`
	ARN            string    `json:"arn"`
	MediaType      string    `json:"mediaType,omitempty"`
	DeviceName     string    `json:"deviceName,omitempty"`
	RetentionHours int       `json:"retentionHours"` // 0: fragments are not stored, only passed to live viewers
	Created        time.Time `json:"created"`
	Version        string    `json:"version"`
	NextFragment   uint64    `json:"nextFragment"`
	// Fragments and Bytes count what is stored.
	Fragments int   `json:"fragments"`
	Bytes     int64 `json:"bytes"`
}

// FragmentInfo describes a stored fragment, as ListFragments reports it.
type FragmentInfo struct {
	Number            uint64        `json:"number"`
	ProducerTimestamp time.Time     `json:"producerTimestamp"`
	ServerTimestamp   time.Time     `json:"serverTimestamp"`
	Duration          time.Duration `json:"duration"`
	Size              int           `json:"size"`
	Frames            int           `json:"frames"`
}

// Limits of video streams, as Kinesis Video Streams has them.
const (
	MaxRetentionHours = 87_600
	maxNameLength     = 256
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,256}$`)

// Errors of the store; each names the field and the rule.
var (
	ErrNotFound = errors.New("video stream not found")
	ErrExists   = errors.New("video stream already exists")
	// ErrProducerTimestamp is a producer timestamp no fragment can carry.
	ErrProducerTimestamp = errors.New("invalid producer timestamp")
)

// Store keeps the video streams and their fragments in the engine's database. Safe for concurrent use.
type Store struct {
	eng *engine.Engine

	mu      sync.Mutex
	streams map[string]*Stream
	waiting map[string]chan struct{} // per stream, closed by its next fragment
	// unkept holds the newest fragments of streams with retention 0, which store none: GetMedia still serves
	// them live, as KVS does
	unkept map[string][]storedFragment
}

// storedFragment is a fragment with its media.
type storedFragment struct {
	info  FragmentInfo
	media []byte
}

// unkeptWindow is how many fragments of a retention-0 stream stay in memory for live readers that fall behind.
const unkeptWindow = 8

// Open loads the video streams of an engine.
func Open(eng *engine.Engine) (*Store, error) {
	s := &Store{eng: eng, streams: map[string]*Stream{}}
	stored, err := eng.VideoStreams()
	if err != nil {
		return nil, err
	}
	for name, meta := range stored {
		var st Stream
		if err := json.Unmarshal(meta, &st); err != nil {
			return nil, fmt.Errorf("video stream %s: %w", name, err)
		}
		s.streams[name] = &st
	}
	return s, nil
}

// CreateInput is what CreateStream takes.
type CreateInput struct {
	Name           string
	MediaType      string // e.g. video/h264
	DeviceName     string
	RetentionHours int
}

// CreateStream makes a video stream.
func (s *Store) CreateStream(in CreateInput) (Stream, error) {
	switch {
	case !namePattern.MatchString(in.Name):
		return Stream{}, fmt.Errorf("StreamName: %q must be 1–%d letters, digits, '_', '.' or '-'", in.Name, maxNameLength)
	case in.RetentionHours < 0 || in.RetentionHours > MaxRetentionHours:
		return Stream{}, fmt.Errorf("DataRetentionInHours: %d is outside 0–%d (0 keeps no fragments)", in.RetentionHours, MaxRetentionHours)
	case len(in.DeviceName) > 128:
		return Stream{}, fmt.Errorf("DeviceName: %d characters, at most 128", len(in.DeviceName))
	case len(in.MediaType) > 128:
		return Stream{}, fmt.Errorf("MediaType: %d characters, at most 128", len(in.MediaType))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[in.Name] != nil {
		return Stream{}, fmt.Errorf("%w: %s", ErrExists, in.Name)
	}
	now := time.Now().UTC()
	st := &Stream{Name: in.Name, MediaType: in.MediaType, DeviceName: in.DeviceName, RetentionHours: in.RetentionHours,
		Created: now, Version: fmt.Sprint(now.UnixMilli()), NextFragment: 1,
		ARN: fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", s.eng.DefaultScope().Region,
			s.eng.DefaultScope().Account, in.Name, now.UnixMilli())}
	if err := s.save(st); err != nil {
		return Stream{}, err
	}
	s.streams[in.Name] = st
	return *st, nil
}

func (s *Store) save(st *Stream) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.eng.PutVideoStream(st.Name, b)
}

// DescribeStream returns a stream.
func (s *Store) DescribeStream(name string) (Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st == nil {
		return Stream{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return *st, nil
}

// ListStreams returns every stream, by name.
func (s *Store) ListStreams() []Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stream, 0, len(s.streams))
	for _, st := range s.streams {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DeleteStream removes a stream with its fragments.
func (s *Store) DeleteStream(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[name] == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err := s.eng.DeleteVideoStream(name); err != nil {
		return err
	}
	delete(s.streams, name)
	delete(s.unkept, name)
	return nil
}

// PutFragment numbers a fragment and, when the stream keeps media, stores it in one transaction; producer is the
// producer timestamp of its first frame. The fragment is acknowledged as persisted only after the commit, and
// whoever waits on NewFragment is woken.
func (s *Store) PutFragment(name string, f container.Fragment, producer time.Time) (FragmentInfo, bool, error) {
	info, persisted, err := s.putFragment(name, f, producer)
	if err == nil {
		s.notify(name)
	}
	return info, persisted, err
}

func (s *Store) putFragment(name string, f container.Fragment, producer time.Time) (FragmentInfo, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st == nil {
		return FragmentInfo{}, false, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if y := producer.UTC().Year(); y < 1970 || y > 9999 {
		return FragmentInfo{}, false, fmt.Errorf("%w: %s is outside the years 1970–9999", ErrProducerTimestamp, producer.UTC().Format(time.RFC3339))
	}
	// milliseconds, as KVS keeps them: a time read back from a listing then selects its own fragment exactly, and
	// with the duration cut too, a fragment never seems to end after the next one starts (at 30 frames/s a
	// duration is not a whole number of milliseconds)
	info := FragmentInfo{Number: st.NextFragment, ProducerTimestamp: producer.UTC().Truncate(time.Millisecond),
		ServerTimestamp: time.Now().UTC().Truncate(time.Millisecond), Duration: f.Duration.Truncate(time.Millisecond),
		Size: len(f.Data), Frames: f.Frames}
	next := *st
	next.NextFragment++
	persisted := st.RetentionHours > 0
	if persisted {
		next.Fragments++
		next.Bytes += int64(len(f.Data))
	}
	var meta []byte // nil: the fragment is not kept
	if persisted {
		var err error
		if meta, err = json.Marshal(info); err != nil {
			return FragmentInfo{}, false, fmt.Errorf("fragment %d of %s: %w", info.Number, name, err)
		}
	}
	streamMeta, err := json.Marshal(next)
	if err != nil {
		return FragmentInfo{}, false, fmt.Errorf("video stream %s: %w", name, err)
	}
	if err := s.eng.PutVideoFragment(name, info.Number, meta, f.Data, streamMeta); err != nil {
		return FragmentInfo{}, false, err
	}
	*st = next
	if !persisted {
		if s.unkept == nil {
			s.unkept = map[string][]storedFragment{}
		}
		window := append(s.unkept[name], storedFragment{info, f.Data})
		if len(window) > unkeptWindow { // a copy: the dropped fragments' media must not stay reachable
			window = append([]storedFragment(nil), window[len(window)-unkeptWindow:]...)
		}
		s.unkept[name] = window
	}
	return info, persisted, nil
}

// ListFragments returns a stream's stored fragments whose producer timestamps fall in [from, to] (zero times
// leave that end open), oldest first. ListFragmentsPage selects by server timestamps too, a page at a time.
func (s *Store) ListFragments(name string, from, to time.Time) ([]FragmentInfo, error) {
	var out []FragmentInfo
	err := s.scanFragments(name, 0, func(fi FragmentInfo) bool {
		if (from.IsZero() || !fi.ProducerTimestamp.Before(from)) && (to.IsZero() || !fi.ProducerTimestamp.After(to)) {
			out = append(out, fi)
		}
		return true
	})
	return out, err
}

// ListFragmentsAfter returns a stream's stored fragments numbered after after, in order: what a reader that has
// seen fragments up to after has not.
func (s *Store) ListFragmentsAfter(name string, after uint64) ([]FragmentInfo, error) {
	var out []FragmentInfo
	err := s.scanFragments(name, after, func(fi FragmentInfo) bool {
		out = append(out, fi)
		return true
	})
	return out, err
}

// scanFragments calls fn with each stored fragment numbered after after, in order, until fn returns false.
func (s *Store) scanFragments(name string, after uint64, fn func(FragmentInfo) bool) error {
	if _, err := s.DescribeStream(name); err != nil {
		return err
	}
	if after == math.MaxUint64 { // after+1 would wrap to the first
		return nil
	}
	var ferr error
	err := s.eng.VideoFragments(name, after+1, func(n uint64, meta []byte) bool {
		var fi FragmentInfo
		if ferr = json.Unmarshal(meta, &fi); ferr != nil {
			return false
		}
		return fn(fi)
	})
	if err == nil {
		err = ferr
	}
	return err
}

// Fragment describes one stored fragment.
func (s *Store) Fragment(name string, number uint64) (FragmentInfo, error) {
	var found *FragmentInfo
	err := s.scanFragments(name, number-1, func(fi FragmentInfo) bool {
		if fi.Number == number {
			found = &fi
		}
		return false
	})
	if err == nil && found == nil {
		err = fmt.Errorf("fragment %d of %s: not stored (never, or trimmed by retention)", number, name)
	}
	if err != nil {
		return FragmentInfo{}, err
	}
	return *found, nil
}

// FragmentMedia returns a stored fragment's media (MPEG-TS).
func (s *Store) FragmentMedia(name string, number uint64) ([]byte, error) {
	if _, err := s.DescribeStream(name); err != nil {
		return nil, err
	}
	media, err := s.eng.VideoFragmentMedia(name, number)
	if err == nil && media == nil {
		err = fmt.Errorf("fragment %d of %s: not stored (never, or trimmed by retention)", number, name)
	}
	return media, err
}

// Trim deletes fragments older than their streams' retention (by server timestamp), a batch at a time, and
// reports how many went.
func (s *Store) Trim(now time.Time) (int, error) {
	total := 0
	for _, st := range s.ListStreams() {
		if st.RetentionHours == 0 {
			continue
		}
		cutoff := now.Add(-time.Duration(st.RetentionHours) * time.Hour)
		for { // a batch per commit, until a batch comes back short: a shortened retention is applied at once
			bytes := 0
			trimmed, err := s.eng.TrimVideoFragments(st.Name, trimBatch, func(meta []byte) bool {
				var fi FragmentInfo
				if json.Unmarshal(meta, &fi) != nil || !fi.ServerTimestamp.Before(cutoff) {
					return false
				}
				bytes += fi.Size
				return true
			})
			if err != nil {
				return total, err
			}
			if trimmed > 0 {
				s.mu.Lock()
				if cur := s.streams[st.Name]; cur != nil && cur.ARN == st.ARN { // not a new stream of that name
					cur.Fragments -= trimmed
					cur.Bytes -= int64(bytes)
					_ = s.save(cur)
				}
				s.mu.Unlock()
			}
			total += trimmed
			if trimmed < trimBatch {
				break
			}
		}
	}
	return total, nil
}

// trimBatch is how many fragments one trim commit deletes, so a large trim does not hold the writer long.
const trimBatch = 1000

// TrimEvery trims by retention every interval until ctx ends.
func (s *Store) TrimEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_, _ = s.Trim(now) // a failed trim is tried again next time
		}
	}
}
