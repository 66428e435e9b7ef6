package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/engine/recordexpr"
)

// Putter is what a replay writes to: the engine, or a Kinesis client for a remote endpoint.
type Putter interface {
	PutRecords(ctx context.Context, in engine.PutRecordsInput) (*engine.PutRecordsOutput, error)
}

// Speed bounds, as a factor of the input's own pace.
const (
	MinSpeed = 0.1
	MaxSpeed = 1000.0
)

// Options say where and how fast to replay.
type Options struct {
	Stream string
	// Speed plays the input's timestamps this many times faster (0.1–1000); 0 puts as fast as the stream accepts.
	// Items without a time go as soon as the one before them.
	Speed float64
	// Key computes every item's partition key when set. Otherwise an item keeps the key its input gave (a
	// capture's, or the key field's), and one without gets its line number, which spreads records evenly.
	Key func(Item) (string, error)
	// Encrypt seals every record's data in an envelope under this key before it is put (client-side encryption,
	// docs/encryption.md). The partition key, computed from the plaintext, goes in the clear: Kinesis routes on it.
	// Data that is already an envelope goes as it is, counted in Progress.AlreadyEncrypted, rather than sealed twice.
	Encrypt *envelope.Key
}

// Validate names the field and the limit of a bad option.
func (o Options) Validate() error {
	if o.Stream == "" {
		return errors.New("stream: a stream is needed")
	}
	if o.Speed != 0 && (o.Speed < MinSpeed || o.Speed > MaxSpeed) {
		return fmt.Errorf("speed %g: must be between %g and %g (or 0, as fast as possible)", o.Speed, MinSpeed, MaxSpeed)
	}
	return nil
}

// Progress is a replay's counters; safe to read while it runs.
type Progress struct {
	Read      atomic.Int64 // items read from the input
	Put       atomic.Int64 // records the stream accepted
	Retried   atomic.Int64 // record puts retried after throttling or a transient failure
	Malformed atomic.Int64 // input lines that could not be read
	BytesRead atomic.Int64 // of the input, for progress against its size
	// AlreadyEncrypted counts items whose data was an envelope already, put as it was (with Options.Encrypt).
	AlreadyEncrypted atomic.Int64
}

// Replayer puts one input into a stream. Pause and Resume may be called from any goroutine.
type Replayer struct {
	put  Putter
	opts Options
	P    Progress

	mu     sync.Mutex
	paused chan struct{} // closed when not paused
}

// NewReplayer checks the options.
func NewReplayer(p Putter, opts Options) (*Replayer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := &Replayer{put: p, opts: opts, paused: make(chan struct{})}
	close(r.paused)
	return r, nil
}

// Pause holds the replay after the call in flight; the input's clock stops with it.
func (r *Replayer) Pause() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.paused:
		r.paused = make(chan struct{})
	default:
	}
}

// Resume continues a paused replay.
func (r *Replayer) Resume() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.paused:
	default:
		close(r.paused)
	}
}

func (r *Replayer) waitUnpaused(ctx context.Context) (time.Duration, error) {
	r.mu.Lock()
	ch := r.paused
	r.mu.Unlock()
	start := time.Now()
	select {
	case <-ch:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// batch limits of PutRecords.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 5 << 20
	// batchWindow is how far ahead of its due time an item may join the batch being sent, so a paced replay
	// still sends calls of many records rather than one call per record.
	batchWindow = 10 * time.Millisecond
)

// Run reads the input to its end and puts every item, retrying throttled ones, so nothing is dropped. It returns
// when the input is done (with the reader's malformed lines in the reader), the context ends, or a put fails in a
// way retrying cannot fix.
func (r *Replayer) Run(ctx context.Context, in *Reader) error {
	var (
		batch      []engine.PutRecordsEntry
		batchBytes int
		first      time.Time // the input's first timestamp
		start      time.Time // when it was replayed
		pausedFor  time.Duration
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.putAll(ctx, batch)
		batch, batchBytes = batch[:0], 0
		return err
	}
	for {
		it, err := in.Next()
		r.P.BytesRead.Store(in.BytesRead())
		r.P.Malformed.Store(int64(in.MalformedCount()))
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
		r.P.Read.Add(1)
		if d, err := r.waitUnpaused(ctx); err != nil {
			return err
		} else {
			pausedFor += d
		}
		if r.opts.Speed > 0 && !it.Time.IsZero() {
			if first.IsZero() {
				first, start = it.Time, time.Now()
			}
			due := start.Add(pausedFor + time.Duration(float64(it.Time.Sub(first))/r.opts.Speed))
			if wait := time.Until(due); wait > batchWindow {
				if err := flush(); err != nil {
					return err
				}
				if err := sleep(ctx, time.Until(due)); err != nil {
					return err
				}
			}
		}
		key := it.Key
		switch {
		case r.opts.Key != nil:
			if key, err = r.opts.Key(it); err != nil {
				return fmt.Errorf("line %d: partition key: %w", it.Line, err)
			}
		case key == "":
			key = strconv.Itoa(it.Line)
		}
		data := it.Data
		if r.opts.Encrypt != nil {
			if envelope.IsEnvelope(data) {
				r.P.AlreadyEncrypted.Add(1)
			} else {
				data = r.opts.Encrypt.Seal(nil, data)
			}
		}
		if len(batch) == maxBatchRecords || batchBytes+len(data)+len(key) > maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, engine.PutRecordsEntry{Data: data, PartitionKey: key})
		batchBytes += len(data) + len(key)
	}
}

// retryable errors are worth another try after a back-off: throttling and the service's transient failures.
func retryable(code string) bool {
	return code == engine.ErrThroughputExceeded || code == engine.ErrInternalFailure || code == engine.ErrServiceUnavailable
}

// putAll puts a batch, then retries what failed with exponential back-off and jitter until all is in.
func (r *Replayer) putAll(ctx context.Context, batch []engine.PutRecordsEntry) error {
	pending := batch
	backoff := 20 * time.Millisecond
	for len(pending) > 0 {
		out, err := r.put.PutRecords(ctx, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: r.opts.Stream}, Records: pending})
		if err != nil {
			if !retryable(engine.ErrorCode(err)) {
				return fmt.Errorf("put to %s: %w", r.opts.Stream, err)
			}
			r.P.Retried.Add(int64(len(pending)))
		} else {
			var failed []engine.PutRecordsEntry
			for i, res := range out.Records {
				switch {
				case res.ErrorCode == "":
					r.P.Put.Add(1)
				case retryable(res.ErrorCode):
					failed = append(failed, pending[i])
				default:
					return fmt.Errorf("put to %s: %s: %s", r.opts.Stream, res.ErrorCode, res.ErrorMessage)
				}
			}
			if len(failed) == 0 {
				return nil
			}
			r.P.Retried.Add(int64(len(failed)))
			pending = failed
		}
		if err := sleep(ctx, backoff/2+rand.N(backoff/2+1)); err != nil {
			return err
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// KeyExpr compiles an expression over an item (data, key, ts, size) into a partition-key function for Options.Key
// and WatchOptions.Key; a bad expression is refused with its line and column.
func KeyExpr(src string) (func(Item) (string, error), error) {
	k, err := recordexpr.CompileKey(src)
	if err != nil {
		return nil, err
	}
	return func(it Item) (string, error) { return k.Key(recordexpr.NewRecord(it.Data, it.Key, "", "", it.Time)) }, nil
}
