package replay

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
)

// Source is what a capture reads from: the engine, or a Kinesis client for a remote endpoint.
type Source interface {
	Shards(ctx context.Context, ref engine.StreamRef) ([]engine.ShardInfo, error)
	GetShardIterator(ctx context.Context, in engine.GetShardIteratorInput) (string, error)
	GetRecords(ctx context.Context, in engine.GetRecordsInput) (*engine.GetRecordsOutput, error)
}

// CaptureOptions say what to capture and when to stop.
type CaptureOptions struct {
	Stream string
	Shards []string // empty: every shard, closed ones included, so a resharded stream's whole lineage is kept
	// From is where each shard starts: TRIM_HORIZON (default), LATEST, AT_TIMESTAMP (with At) or
	// AT_SEQUENCE_NUMBER (with Seq, for the shard that holds it).
	From string
	At   time.Time
	Seq  string
	// Count stops after this many records (0: no limit); Duration after this long (0: no limit). Follow keeps
	// reading new records until one of them, or the context, ends it; without it the capture ends once every
	// shard has been read to its present end.
	Count    int64
	Duration time.Duration
	Follow   bool
	Gzip     bool
	// Decrypt opens records that are envelopes under this key (client-side encryption, docs/encryption.md) and
	// writes their plaintext. Records that are not envelopes, are under another key or do not open are written as
	// the stream holds them — never dropped — and counted in the progress.
	Decrypt *envelope.Key
}

// CaptureProgress is a capture's counters; safe to read while it runs.
type CaptureProgress struct {
	Records atomic.Int64
	Bytes   atomic.Int64 // of data written
	// With CaptureOptions.Decrypt: records opened, records that were not envelopes, envelopes under another key,
	// and envelopes that did not open (altered, truncated, an unknown version). All of them are written.
	Decrypted, Plain, OtherKey, Damaged atomic.Int64

	mu        sync.Mutex
	otherKeys []string // the other keys' ids, first seen first, a few at most
	lastErr   string   // why the latest damaged envelope did not open
}

// maxOtherKeys bounds the other keys' ids a capture remembers for its report.
const maxOtherKeys = 8

// OtherKeys are the ids of the other keys envelopes were found under (up to 8), and why the latest damaged
// envelope did not open.
func (p *CaptureProgress) OtherKeys() (ids []string, lastDamage string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.otherKeys), p.lastErr
}

// reveal decrypts data with k for writing, counting the outcome; without a key the data is written as it is.
func (p *CaptureProgress) reveal(k *envelope.Key, data []byte) []byte {
	if k == nil {
		return data
	}
	r := envelope.Reveal(k, data)
	switch r.State {
	case envelope.Decrypted:
		p.Decrypted.Add(1)
	case envelope.Plain:
		p.Plain.Add(1)
	case envelope.OtherKey:
		p.OtherKey.Add(1)
		p.mu.Lock()
		if !slices.Contains(p.otherKeys, r.KeyID) && len(p.otherKeys) < maxOtherKeys {
			p.otherKeys = append(p.otherKeys, r.KeyID)
		}
		p.mu.Unlock()
	case envelope.Damaged:
		p.Damaged.Add(1)
		p.mu.Lock()
		p.lastErr = r.Err.Error()
		p.mu.Unlock()
	}
	return r.Data
}

// Capture writes the stream's records to w as capture lines, shard by shard in turn, each shard's records in
// order. Reads that are throttled are retried after a pause.
func Capture(ctx context.Context, src Source, w io.Writer, opts CaptureOptions, p *CaptureProgress) error {
	if opts.Stream == "" {
		return errors.New("stream: a stream is needed")
	}
	if p == nil {
		p = &CaptureProgress{}
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	its, err := ShardIterators(ctx, src, opts.Stream, opts.Shards, opts.From, opts.Seq, opts.At)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	var out io.Writer = w
	var gz *gzip.Writer
	if opts.Gzip {
		gz = gzip.NewWriter(w)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	var cursors []*cursor
	for _, it := range its {
		cursors = append(cursors, &cursor{id: it.ShardID, it: it.Iterator})
	}
	limit := 10000
	finish := func(err error) error {
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		if gz != nil {
			if cerr := gz.Close(); err == nil {
				err = cerr
			}
		}
		if errors.Is(err, context.DeadlineExceeded) && opts.Duration > 0 {
			err = nil // the duration asked for has passed: a normal end
		}
		return err
	}
	var line []byte
	for len(cursors) > 0 {
		// Fill every shard's buffer that ran dry; a shard read to its end leaves, and without Follow so does one
		// with nothing more right now.
		waiting := 0
		for i := 0; i < len(cursors); i++ {
			c := cursors[i]
			if len(c.buf) > 0 || time.Now().Before(c.nextPoll) {
				continue // has records to merge, or was empty a moment ago: polling it per record written would throttle it
			}
			if c.it == "" {
				cursors = slices.Delete(cursors, i, i+1)
				i--
				continue
			}
			if opts.Count > 0 {
				limit = int(max(1, min(10000, opts.Count-p.Records.Load())))
			}
			out, err := src.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: c.it, Limit: &limit})
			if err != nil {
				if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
					waiting++ // this shard's read budget is spent for now: try again after a pause
					continue
				}
				return finish(fmt.Errorf("capture %s: %w", c.id, err))
			}
			c.buf, c.it = out.Records, out.NextShardIterator
			if len(c.buf) == 0 && c.it != "" {
				if !opts.Follow && out.MillisBehindLatest == 0 {
					cursors = slices.Delete(cursors, i, i+1)
					i--
				} else {
					c.nextPoll = time.Now().Add(200 * time.Millisecond)
					waiting++
				}
			}
		}
		// Without Follow, a shard still owed a page (throttled) must be heard from before the merge goes on, or
		// its earlier records would come out after later ones of other shards.
		if waiting > 0 && !opts.Follow {
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return finish(err)
			}
			continue
		}
		// Emit in arrival order across shards (each shard's own order is its sequence), so replaying the capture
		// at its original pace plays every shard together, not one after another.
		best := -1
		for i, c := range cursors {
			if len(c.buf) > 0 && (best < 0 || c.buf[0].ApproximateArrivalTimestamp.Before(cursors[best].buf[0].ApproximateArrivalTimestamp)) {
				best = i
			}
		}
		if best < 0 {
			if len(cursors) == 0 {
				break
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil { // following: nothing new yet
				return finish(err)
			}
			continue
		}
		c := cursors[best]
		r := c.buf[0]
		c.buf = c.buf[1:]
		data := p.reveal(opts.Decrypt, r.Data)
		line = AppendLine(line[:0], Record{Shard: c.id, Seq: r.SequenceNumber, Key: r.PartitionKey,
			Arrival: r.ApproximateArrivalTimestamp, Data: data})
		if _, err := bw.Write(line); err != nil {
			return finish(err)
		}
		p.Records.Add(1)
		p.Bytes.Add(int64(len(data)))
		if opts.Count > 0 && p.Records.Load() >= opts.Count {
			return finish(nil)
		}
	}
	return finish(nil)
}

// cursor is one shard being captured: its iterator and the page read but not yet written.
type cursor struct {
	id, it   string
	buf      []engine.Record
	nextPoll time.Time // an empty shard is asked again no sooner than this
}

// ShardIterator is where reading a shard starts.
type ShardIterator struct {
	ShardID, Iterator string
}

// ShardIterators opens an iterator on each chosen shard of a stream (none chosen: every shard, closed ones
// included, so a resharded stream's whole lineage is read) at a start position: TRIM_HORIZON (the default),
// LATEST, AT_TIMESTAMP (with at) or AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER (with seq, whose shard alone takes
// it). Capture and the records browser both start here.
func ShardIterators(ctx context.Context, src Source, stream string, shards []string, from, seq string, at time.Time) ([]ShardIterator, error) {
	ref := engine.StreamRef{StreamName: stream}
	all, err := src.Shards(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out []ShardIterator
	for _, sh := range all {
		if len(shards) > 0 && !slices.Contains(shards, sh.ShardId) {
			continue
		}
		in := engine.GetShardIteratorInput{StreamRef: ref, ShardId: sh.ShardId, ShardIteratorType: from}
		switch from {
		case "":
			in.ShardIteratorType = "TRIM_HORIZON"
		case "AT_TIMESTAMP":
			in.Timestamp = &at
		case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
			in.StartingSequenceNumber = seq
		}
		it, err := src.GetShardIterator(ctx, in)
		if err != nil {
			if engine.ErrorCode(err) == engine.ErrInvalidArgument && seq != "" {
				continue // the sequence number belongs to another shard
			}
			return nil, fmt.Errorf("%s: %w", sh.ShardId, err)
		}
		out = append(out, ShardIterator{ShardID: sh.ShardId, Iterator: it})
	}
	return out, nil
}
