package video

import (
	"context"
	"io"
	"time"
)

// Ack event types, as PutMedia reports them per fragment.
const (
	AckReceived  = "RECEIVED"  // the whole fragment arrived
	AckPersisted = "PERSISTED" // it is committed (or, with retention 0, handed to live viewers)
	AckError     = "ERROR"
)

// Ack is one PutMedia acknowledgement.
type Ack struct {
	EventType         string
	FragmentNumber    uint64
	FragmentTimecode  time.Duration // the fragment's start on the media's own clock
	ProducerTimestamp time.Time
	ErrorCode         string
	Message           string
}

// Ingest reads a continuous MPEG-TS stream into a video stream: each fragment is numbered and stored, and ack is
// told when it was received and when it persisted. producerStart is the producer timestamp of the media's first
// key frame (the time the producer started, for a live source); later fragments follow the media's own clock.
// A bad stream ends with an error ack and the error; the fragment being cut then is not stored.
func (s *Store) Ingest(ctx context.Context, name string, r io.Reader, producerStart time.Time, ack func(Ack)) error {
	if _, err := s.DescribeStream(name); err != nil {
		return err
	}
	var first time.Duration
	started := false
	err := Fragmenter{}.Run(ctx, r, func(f Fragment) error {
		if !started {
			first, started = f.Start, true
		}
		producer := producerStart.Add(f.Start - first)
		ack(Ack{EventType: AckReceived, FragmentTimecode: f.Start, ProducerTimestamp: producer})
		info, _, err := s.PutFragment(name, f, producer)
		if err != nil {
			return err
		}
		s.notify(name)
		ack(Ack{EventType: AckPersisted, FragmentNumber: info.Number, FragmentTimecode: f.Start, ProducerTimestamp: producer})
		return nil
	})
	if err != nil {
		ack(Ack{EventType: AckError, ErrorCode: "INVALID_MKV_DATA", Message: err.Error()})
	}
	return err
}

// notify wakes whoever waits for a stream's next fragment (live playlists, GetMedia).
func (s *Store) notify(name string) {
	s.mu.Lock()
	ch := s.waiting[name]
	delete(s.waiting, name)
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// NewFragment is closed when the stream's next fragment is stored.
func (s *Store) NewFragment(name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting == nil {
		s.waiting = map[string]chan struct{}{}
	}
	ch := s.waiting[name]
	if ch == nil {
		ch = make(chan struct{})
		s.waiting[name] = ch
	}
	return ch
}
