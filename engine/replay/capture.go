package replay

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine"
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
}

// CaptureProgress is a capture's counters; safe to read while it runs.
type CaptureProgress struct {
	Records atomic.Int64
	Bytes   atomic.Int64
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
	ref := engine.StreamRef{StreamName: opts.Stream}
	shards, err := src.Shards(ctx, ref)
	if err != nil {
		return err
	}
	var out io.Writer = w
	var gz *gzip.Writer
	if opts.Gzip {
		gz = gzip.NewWriter(w)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	type cursor struct {
		id, it string
	}
	var cursors []*cursor
	for _, sh := range shards {
		if len(opts.Shards) > 0 && !slices.Contains(opts.Shards, sh.ShardId) {
			continue
		}
		in := engine.GetShardIteratorInput{StreamRef: ref, ShardId: sh.ShardId, ShardIteratorType: opts.From}
		switch opts.From {
		case "":
			in.ShardIteratorType = "TRIM_HORIZON"
		case "AT_TIMESTAMP":
			in.Timestamp = &opts.At
		case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
			in.StartingSequenceNumber = opts.Seq
		}
		it, err := src.GetShardIterator(ctx, in)
		if err != nil {
			if engine.ErrorCode(err) == engine.ErrInvalidArgument && opts.Seq != "" {
				continue // the sequence number belongs to another shard
			}
			return fmt.Errorf("capture %s: %w", sh.ShardId, err)
		}
		cursors = append(cursors, &cursor{id: sh.ShardId, it: it})
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
		progressed := false
		for i := 0; i < len(cursors); i++ {
			c := cursors[i]
			if opts.Count > 0 {
				limit = int(min(10000, opts.Count-p.Records.Load()))
			}
			out, err := src.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: c.it, Limit: &limit})
			if err != nil {
				if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
					continue // this shard's read budget is spent for now; the others go on
				}
				return finish(fmt.Errorf("capture %s: %w", c.id, err))
			}
			for _, r := range out.Records {
				line = AppendLine(line[:0], Record{Shard: c.id, Seq: r.SequenceNumber, Key: r.PartitionKey,
					Arrival: r.ApproximateArrivalTimestamp, Data: r.Data})
				if _, err := bw.Write(line); err != nil {
					return finish(err)
				}
				p.Records.Add(1)
				p.Bytes.Add(int64(len(r.Data)))
				if opts.Count > 0 && p.Records.Load() >= opts.Count {
					return finish(nil)
				}
			}
			progressed = progressed || len(out.Records) > 0
			c.it = out.NextShardIterator
			// A shard is done at its end (closed) or, without Follow, once it has nothing more right now.
			if c.it == "" || (!opts.Follow && len(out.Records) == 0 && out.MillisBehindLatest == 0) {
				cursors = slices.Delete(cursors, i, i+1)
				i--
			}
		}
		if !progressed {
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return finish(err)
			}
		}
	}
	return finish(nil)
}
