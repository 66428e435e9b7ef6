package video

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
)

// Ack event types, as PutMedia reports them per fragment.
const (
	AckBuffering = "BUFFERING" // the fragment's first bytes arrived
	AckReceived  = "RECEIVED"  // the whole fragment arrived
	AckPersisted = "PERSISTED" // it is committed (or, with retention 0, handed to live viewers)
	AckError     = "ERROR"
)

// ErrorInvalidMKVData is the ack error code of media that cannot be read, as KVS names it (error id 4006).
const ErrorInvalidMKVData = "INVALID_MKV_DATA"

// Ack is one PutMedia acknowledgement.
type Ack struct {
	EventType         string
	FragmentNumber    uint64
	FragmentTimecode  time.Duration // the fragment's start on the media's own clock
	ProducerTimestamp time.Time
	ErrorCode         string
	Message           string
}

// Limits of a fragment's target duration.
const (
	MinFragmentDuration = time.Second
	MaxFragmentDuration = container.MaxFragmentDuration
)

// IngestOptions are how a producer's media is taken in.
type IngestOptions struct {
	// ProducerStart is the producer timestamp of the media's first key frame (the time the producer started, for
	// a live source); later fragments follow the media's own clock. Zero means now.
	ProducerStart time.Time
	// FragmentDuration is the target length of a fragment: each ends at the first key frame at or after it.
	// Zero means container.DefaultFragmentDuration; otherwise MinFragmentDuration–MaxFragmentDuration.
	FragmentDuration time.Duration
	// AbsoluteTimecodes says a Matroska producer's cluster timecodes are the producer timestamps themselves
	// (KVS's x-amzn-fragment-timecode-type ABSOLUTE, the producer SDK's default), so ProducerStart is not used.
	// MPEG-TS clocks are never absolute, so it does not apply to them.
	AbsoluteTimecodes bool
}

// Validate checks the options, naming the field and its limit.
func (o IngestOptions) Validate() error {
	if d := o.FragmentDuration; d != 0 && (d < MinFragmentDuration || d > MaxFragmentDuration) {
		return fmt.Errorf("FragmentDuration: %v is outside %v–%v", d, MinFragmentDuration, MaxFragmentDuration)
	}
	if y := o.ProducerStart.UTC().Year(); !o.ProducerStart.IsZero() && (y < 1970 || y > 9999) {
		return fmt.Errorf("ProducerStart: %w: year %d is outside 1970–9999", ErrProducerTimestamp, y)
	}
	return nil
}

// ErrUnknownContainer is media that is neither Matroska nor MPEG-TS.
var ErrUnknownContainer = errors.New("neither Matroska nor MPEG-TS")

// Ingest reads a continuous MPEG-TS or Matroska stream into a video stream with the default fragment duration;
// see IngestWith.
func (s *Store) Ingest(ctx context.Context, name string, r io.Reader, producerStart time.Time, ack func(Ack)) error {
	return s.IngestWith(ctx, name, r, IngestOptions{ProducerStart: producerStart}, ack)
}

// IngestWith reads a continuous stream into a video stream: Matroska (what KVS producers send) or MPEG-TS (what
// ffmpeg, GStreamer and OBS stream), told apart by their first bytes. Each fragment is numbered and stored as an
// MPEG-TS segment, and ack is told when it was received and when it persisted. A bad stream ends with an error
// ack and the error; the fragment being cut then is not stored.
func (s *Store) IngestWith(ctx context.Context, name string, r io.Reader, opts IngestOptions, ack func(Ack)) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if _, err := s.DescribeStream(name); err != nil {
		return err
	}
	if opts.ProducerStart.IsZero() {
		opts.ProducerStart = time.Now()
	}
	src := &readErrReader{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	head, _ := br.Peek(container.MagicLen)
	matroska := container.IsMatroska(head)
	run := container.Fragmenter{Target: opts.FragmentDuration}.Run
	var refused error
	switch {
	case matroska:
		run = container.MatroskaFragmenter{Target: opts.FragmentDuration}.Run
	case len(head) == 0:
		refused = fmt.Errorf("%w: the media is empty", ErrUnknownContainer)
	case head[0] != 0x47 && !m2ts(br):
		refused = fmt.Errorf("%w: the media starts with % x, not Matroska's EBML header (1a 45 df a3) or an MPEG-TS sync byte (47)", ErrUnknownContainer, head)
	}
	if refused != nil {
		ack(Ack{EventType: AckError, ErrorCode: ErrorInvalidMKVData, Message: refused.Error()})
		return refused
	}
	var first time.Duration
	started := false
	// BUFFERING goes out once per fragment, just before its RECEIVED: a fragment's timecode is known only once the
	// key frame that ends it arrives (announcing the next one then would guess its timecode, wrongly after a gap)
	var announced time.Duration
	buffering := func(tc time.Duration) {
		ack(Ack{EventType: AckBuffering, FragmentTimecode: tc})
		announced = tc
	}
	err := run(ctx, br, func(f container.Fragment) error {
		if !started {
			first, started = f.Start, true
		}
		// MPEG-TS clocks start anywhere, so its fragments count from the first; Matroska's count from the
		// producer start (RELATIVE, as KVS adds them), or are the producer time itself (ABSOLUTE)
		producer := opts.ProducerStart.Add(f.Start - first)
		switch {
		case matroska && opts.AbsoluteTimecodes:
			producer = time.Unix(0, 0).Add(f.Start)
		case matroska:
			producer = opts.ProducerStart.Add(f.Start)
		}
		buffering(f.Start)
		ack(Ack{EventType: AckReceived, FragmentTimecode: f.Start, ProducerTimestamp: producer})
		info, _, err := s.PutFragment(name, f, producer)
		if err != nil {
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrProducerTimestamp) {
				err = fmt.Errorf("%w: %w", errArchival, err)
			}
			return err
		}
		ack(Ack{EventType: AckPersisted, FragmentNumber: info.Number, FragmentTimecode: f.Start, ProducerTimestamp: producer})
		return nil
	})
	if err != nil {
		code := ackErrorCode(err)
		if src.err != nil && ctx.Err() == nil { // the producer's connection failed, not its media
			code = ErrorStreamRead
		}
		ack(Ack{EventType: AckError, ErrorCode: code, FragmentTimecode: announced, Message: err.Error()})
	}
	return err
}

// readErrReader keeps the first error reading the producer's stream failed with (not its end).
type readErrReader struct {
	r   io.Reader
	err error
}

func (e *readErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// Ack error codes beside INVALID_MKV_DATA, as KVS names them.
const (
	ErrorStreamRead               = "STREAM_READ_ERROR"             // 4000: the producer's stream could not be read
	ErrorMaxFragmentSize          = "MAX_FRAGMENT_SIZE_REACHED"     // 4001
	ErrorMaxFragmentDuration      = "MAX_FRAGMENT_DURATION_REACHED" // 4002
	ErrorInvalidProducerTimestamp = "INVALID_PRODUCER_TIMESTAMP"    // 4007
	ErrorStreamNotActive          = "STREAM_NOT_ACTIVE"             // 4008: the stream is gone
	ErrorInternal                 = "INTERNAL_ERROR"                // 5000
	ErrorArchival                 = "ARCHIVAL_ERROR"                // 5001: the fragment could not be stored
)

// errArchival marks a fragment that was whole but could not be stored.
var errArchival = errors.New("the fragment could not be stored")

// ackErrorCode names why an ingest ended, for its ERROR ack.
func ackErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrorStreamNotActive
	case errors.Is(err, container.ErrFragmentTooLarge):
		return ErrorMaxFragmentSize
	case errors.Is(err, container.ErrFragmentTooLong):
		return ErrorMaxFragmentDuration
	case errors.Is(err, ErrProducerTimestamp):
		return ErrorInvalidProducerTimestamp
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrorInternal
	case errors.Is(err, errArchival):
		return ErrorArchival
	}
	return ErrorInvalidMKVData
}

// m2ts reports an MPEG-TS stream of 192-byte packets (a 4-byte timestamp before each sync byte), as Blu-ray
// and some cameras write it.
func m2ts(br *bufio.Reader) bool {
	head, _ := br.Peek(5)
	return len(head) == 5 && head[4] == 0x47
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
