package dashboard

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/engine/replay"
)

// maxBrowsed bounds the rows the records browser holds; in live tail the oldest go first. Each row keeps a short
// preview, not the whole record: the detail pane reads the full record back by its sequence number.
const maxBrowsed = 1_000_000

// previewBytes is how much of a record's data a row keeps.
const previewBytes = 96

// browsedRecord is one row of the records browser.
type browsedRecord struct {
	Shard   string
	Seq     string
	Key     string
	Arrival time.Time
	Size    int // as stored: an envelope's, when it is one
	Preview string
	// State and KeyID say whether the record is an envelope, and whether the browser's key opened it
	// (recordskey.go); Plain for any other record.
	State envelope.State
	KeyID string
}

// browseQuery is what the browser reads: which shards (none: all, closed ones included), from where, and whether
// to keep following new records.
type browseQuery struct {
	Stream string
	Shards []string
	From   string // TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AT_TIMESTAMP
	Seq    string
	At     time.Time
	Follow bool
	Filter *recordexpr.Filter
}

// recordsModel reads a stream's records for the browser on its own goroutine. The UI takes snapshots of the
// matching rows; reading, filtering and trimming never happen on the UI goroutine.
type recordsModel struct {
	eng    *engine.Engine
	recent *recordCache // the newest matching records in full, for the detail pane

	runMu sync.Mutex // serialises start and stop, so two quick Reads never leave two readers running

	mu      sync.Mutex
	rows    []browsedRecord
	scanned int64 // records read, matching or not
	errs    int64 // records the filter failed on (counted as not matching)
	// throttled counts this browser's own GetRecords calls refused over a shard's read limit: its reads share the
	// 5 calls/s with every other reader, and when it is refused it says so rather than blame the producer.
	throttled int64
	tailer    *consumer.Worker // the live tail's worker, for its throttle count
	lastErr   string
	paused    bool
	done      bool          // history read to its present end (not following)
	key       *envelope.Key // decrypts envelopes for display; nil: they show as ciphertext
	cancel    context.CancelFunc
	finished  chan struct{}
}

func newRecordsModel(eng *engine.Engine) *recordsModel {
	return &recordsModel{eng: eng, recent: newRecordCache(recordCacheBytes)}
}

// start begins reading q, replacing whatever was read before.
func (m *recordsModel) start(q browseQuery) {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	m.stopLocked()
	ctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	m.rows, m.scanned, m.errs, m.lastErr, m.done, m.throttled, m.tailer = nil, 0, 0, "", false, 0, nil
	m.recent.reset()
	m.cancel, m.finished = cancel, make(chan struct{})
	finished := m.finished
	m.mu.Unlock()
	go func() {
		defer close(finished)
		m.read(ctx, q)
	}()
}

// stop ends the reader and waits for it.
func (m *recordsModel) stop() {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	m.stopLocked()
}

func (m *recordsModel) stopLocked() {
	m.mu.Lock()
	cancel, finished := m.cancel, m.finished
	m.cancel = nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-finished
	}
}

func (m *recordsModel) setPaused(p bool) {
	m.mu.Lock()
	m.paused = p
	m.mu.Unlock()
}

// snapshot is the rows and counters as they stand; rows is shared, read-only: the model only appends or replaces.
type browseSnapshot struct {
	Rows          []browsedRecord
	Scanned, Errs int64
	Throttled     int64 // the browser's own reads refused over a shard's read limit
	LastErr       string
	Done, Paused  bool
}

func (m *recordsModel) snapshot() browseSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	throttled := m.throttled
	if m.tailer != nil {
		for _, st := range m.tailer.Status() {
			throttled += int64(st.Throttled)
		}
	}
	return browseSnapshot{Rows: m.rows[:len(m.rows):len(m.rows)], Scanned: m.scanned, Errs: m.errs, LastErr: m.lastErr,
		Done: m.done, Paused: m.paused, Throttled: throttled}
}

// read walks the chosen shards from the start position, in turn, a page at a time; with Follow it keeps polling
// for new records (an open shard's iterator never ends), and a paused browser stops reading until resumed.
func (m *recordsModel) read(ctx context.Context, q browseQuery) {
	if q.From == browseResume {
		m.tail(ctx, q)
		return
	}
	its, err := replay.ShardIterators(ctx, m.eng, q.Stream, q.Shards, q.From, q.Seq, q.At)
	if err != nil {
		m.fail(err)
		return
	}
	type cursor struct {
		id, it string
		next   time.Time // this shard's next call, spaced to stay inside its read limit
	}
	var cursors []*cursor
	for _, it := range its {
		cursors = append(cursors, &cursor{id: it.ShardID, it: it.Iterator})
	}
	limit := 10000
	for len(cursors) > 0 && ctx.Err() == nil {
		m.mu.Lock()
		paused := m.paused
		m.mu.Unlock()
		if paused {
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		progressed, called := false, false
		for i := 0; i < len(cursors); i++ {
			c := cursors[i]
			now := time.Now()
			if now.Before(c.next) {
				continue
			}
			called = true
			c.next = now.Add(browseCallSpacing)
			out, err := m.eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: c.it, Limit: &limit})
			if err != nil {
				if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
					m.mu.Lock()
					m.throttled++
					m.mu.Unlock()
					c.next = now.Add(time.Second) // a refused reader backs off, as the SDKs do
					continue
				}
				if ctx.Err() == nil {
					m.fail(err)
				}
				return
			}
			m.add(c.id, out.Records, q.Filter, q.Follow)
			progressed = progressed || len(out.Records) > 0
			c.it = out.NextShardIterator
			if c.it == "" || (!q.Follow && len(out.Records) == 0) {
				cursors = slices.Delete(cursors, i, i+1)
				i--
			}
		}
		switch {
		case !called:
			sleepCtx(ctx, 20*time.Millisecond) // every shard is waiting out its spacing
		case !progressed:
			sleepCtx(ctx, 250*time.Millisecond)
		}
	}
	if ctx.Err() == nil {
		m.mu.Lock()
		m.done = true
		m.mu.Unlock()
	}
}

// The resumable live tail runs as a consumer application, so it picks up after the last record it showed — across
// leaving the screen and restarting the app — and shows in the Consumers tab like any consumer of the stream.
const (
	browseResume = "where the tail stopped"
	tailApp      = "records-tail"
	tailWorker   = "shardlab-app"
	// browseCallSpacing spaces a history read's calls on one shard: 4 a second, inside the limit of 5.
	browseCallSpacing = 250 * time.Millisecond
)

// tail follows every shard from the tail application's checkpoints (LATEST the first time), child shards after
// their parents; records of shards not chosen are passed over but still checkpointed.
func (m *recordsModel) tail(ctx context.Context, q browseQuery) {
	w, err := consumer.NewWorker(m.eng, consumer.Config{App: tailApp, Worker: tailWorker,
		Stream: engine.StreamRef{StreamName: q.Stream}, InitialPosition: consumer.Latest, PollInterval: consumer.SharedPollInterval,
		Process: func(ctx context.Context, b *consumer.Batch) error {
			for m.isPaused() && ctx.Err() == nil {
				sleepCtx(ctx, 100*time.Millisecond)
			}
			if ctx.Err() != nil {
				return ctx.Err() // not shown: not checkpointed
			}
			if len(q.Shards) == 0 || slices.Contains(q.Shards, b.ShardID) {
				m.add(b.ShardID, b.Records, q.Filter, true)
			}
			return b.Checkpoint(ctx)
		}})
	if err != nil {
		m.fail(err)
		return
	}
	m.mu.Lock()
	m.tailer = w
	m.mu.Unlock()
	if err := w.Run(ctx); err != nil && ctx.Err() == nil {
		m.fail(err)
	}
}

func (m *recordsModel) isPaused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused
}

func (m *recordsModel) add(shard string, recs []engine.Record, f *recordexpr.Filter, follow bool) {
	var rows []browsedRecord
	var errs int64
	var lastErr string
	key := m.currentKey()
	for _, r := range recs {
		// The filter and the preview see what the row shows: the plaintext of an envelope the key opens.
		rev := envelope.Reveal(key, r.Data)
		if f != nil {
			ok, err := f.Match(recordexpr.NewRecord(rev.Data, r.PartitionKey, r.SequenceNumber, shard, r.ApproximateArrivalTimestamp))
			if err != nil {
				errs++
				lastErr = err.Error()
			}
			if !ok {
				continue
			}
		}
		rows = append(rows, browsedRecord{Shard: shard, Seq: r.SequenceNumber, Key: r.PartitionKey,
			Arrival: r.ApproximateArrivalTimestamp, Size: len(r.Data), Preview: revealPreview(rev), State: rev.State,
			KeyID: rev.KeyID})
		m.recent.put(recordKey(shard, r.SequenceNumber), r.Data) // as stored: plaintext is not kept past the preview
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.key != key {
		rows = m.reveal(rows, m.key) // the key changed while these were read
	}
	m.scanned += int64(len(recs))
	m.errs += errs
	if lastErr != "" {
		m.lastErr = lastErr
	}
	if over := len(m.rows) + len(rows) - maxBrowsed; over > 0 {
		if !follow {
			rows = rows[:max(0, len(rows)-over)] // history: keep the first million
		} else {
			// A fresh slice, not an in-place shift: snapshots the UI holds keep their old rows.
			m.rows = append([]browsedRecord(nil), m.rows[min(over, len(m.rows)):]...)
		}
	}
	m.rows = append(m.rows, rows...)
}

func (m *recordsModel) fail(err error) {
	m.mu.Lock()
	m.lastErr = err.Error()
	m.done = true
	m.mu.Unlock()
}

// preview is the start of a record's data as one line of text, with bytes that are not text shown as dots.
func preview(data []byte) string {
	if len(data) > previewBytes {
		data = data[:previewBytes]
	}
	var b strings.Builder
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && n <= 1, r < 0x20, r == 0x7f:
			b.WriteByte('.')
		default:
			b.WriteRune(r)
		}
		data = data[n:]
	}
	return b.String()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// record is a browsed row in full for the detail pane: from the cache of the newest records when it is there, else
// read back, retrying within the shard's read limit — the user's click is never answered with a throttle.
func (m *recordsModel) record(ctx context.Context, stream string, r browsedRecord) (*engine.Record, error) {
	if data, ok := m.recent.get(recordKey(r.Shard, r.Seq)); ok {
		return &engine.Record{SequenceNumber: r.Seq, PartitionKey: r.Key, ApproximateArrivalTimestamp: r.Arrival,
			Data: data}, nil
	}
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rec, err := fetchRecord(ctx, m.eng, stream, r.Shard, r.Seq)
		if engine.ErrorCode(err) != engine.ErrThroughputExceeded || attempt == detailAttempts {
			return rec, err
		}
		sleepCtx(ctx, wait) // the shard's calls refill at 5 a second
		wait *= 2
	}
}

// detailAttempts bounds the detail pane's retries of a throttled read: 200 ms doubling, 6 s in all.
const detailAttempts = 6

// fetchRecord reads one record back in full by its shard and sequence number, for the detail pane.
func fetchRecord(ctx context.Context, eng *engine.Engine, stream, shard, seq string) (*engine.Record, error) {
	it, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: stream},
		ShardId: shard, ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: seq})
	if err != nil {
		return nil, err
	}
	one := 1
	out, err := eng.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it, Limit: &one})
	if err != nil {
		return nil, err
	}
	if len(out.Records) == 0 {
		return nil, &engine.Error{Code: engine.ErrResourceNotFound, Message: "The record has expired or its stream was deleted."}
	}
	return &out.Records[0], nil
}
