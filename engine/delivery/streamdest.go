package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/randid"
)

// streamDest puts each record into another Shardlab stream, 500 a call. Throttled records are retried (the whole
// object is, by the runner's back-off) until the retry duration runs out.
type streamDest struct {
	eng *engine.Engine
	d   Destination
}

func (s streamDest) spec() Destination { return s.d }

func (s streamDest) put(ctx context.Context, _ string, _ []byte, items []item) error {
	for start := 0; start < len(items); start += 500 {
		batch := items[start:min(start+500, len(items))]
		entries := make([]engine.PutRecordsEntry, len(batch))
		for i, it := range batch {
			key := it.partitionKey
			if key == "" {
				key = randid.Hex(8)
			}
			entries[i] = engine.PutRecordsEntry{PartitionKey: key, Data: it.data}
		}
		if err := s.putAll(ctx, entries); err != nil {
			return err
		}
	}
	return nil
}

// putAll puts entries, putting again only the ones refused (throttled, say) for up to ten tries with back-off, so
// a partly throttled page is not written twice; after that the runner's retry puts the whole page again, and a
// record written twice is the at-least-once edge.
func (s streamDest) putAll(ctx context.Context, entries []engine.PutRecordsEntry) error {
	wait := 50 * time.Millisecond
	for try := 0; ; try++ {
		out, err := s.eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: s.d.Stream},
			Records: entries})
		if err != nil {
			if code := engine.ErrorCode(err); code == engine.ErrResourceNotFound || code == engine.ErrValidation {
				return permanentError{err}
			}
			return err
		}
		if out.FailedRecordCount == 0 {
			return nil
		}
		var again []engine.PutRecordsEntry
		for i, r := range out.Records {
			if r.ErrorCode != "" {
				again = append(again, entries[i])
			}
		}
		if try == 9 {
			return fmt.Errorf("stream %s refused %d of %d records (first: %s)", s.d.Stream, len(again), len(entries),
				firstError(out))
		}
		entries = again
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

func firstError(out *engine.PutRecordsOutput) string {
	for _, r := range out.Records {
		if r.ErrorCode != "" {
			return r.ErrorCode + ": " + r.ErrorMessage
		}
	}
	return ""
}
