package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/recordexpr"
)

// AppSpec is an analytics application as a user writes it, stores and exports it (JSON): an input stream and the
// queries that run over it.
type AppSpec struct {
	Name    string      `json:"name"`
	Source  Source      `json:"source"`
	Queries []QuerySpec `json:"queries"`
}

// Source is the input stream and where a new application starts reading it.
type Source struct {
	Stream string    `json:"stream"`
	Start  string    `json:"start,omitempty"` // LATEST (default), TRIM_HORIZON or AT_TIMESTAMP
	At     time.Time `json:"at,omitzero"`
}

// QuerySpec is one continuous query of an application.
type QuerySpec struct {
	Name string `json:"name"`
	Text string `json:"text"`
	// Capture is an NDJSON file each emitted row is appended to (relative: under the data directory).
	Capture string `json:"capture,omitempty"`
}

var appNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// Validate checks the spec and compiles every query; errors name the query and the place in its text.
func (s AppSpec) Validate() error {
	var errs []error
	if !appNamePattern.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("name: %q must be 1–64 letters, digits, '_', '.' or '-'", s.Name))
	}
	if s.Source.Stream == "" {
		errs = append(errs, errors.New("source.stream: an input stream is required"))
	}
	switch s.Source.Start {
	case "", engine.IteratorLatest, engine.IteratorTrimHorizon:
	case engine.IteratorAtTimestamp:
		if s.Source.At.IsZero() {
			errs = append(errs, errors.New("source.at: AT_TIMESTAMP needs a time"))
		}
	default:
		errs = append(errs, fmt.Errorf("source.start: %q is not TRIM_HORIZON, LATEST or AT_TIMESTAMP", s.Source.Start))
	}
	if len(s.Queries) == 0 {
		errs = append(errs, errors.New("queries: at least one query is required"))
	}
	names := map[string]bool{}
	for i, q := range s.Queries {
		field := fmt.Sprintf("queries[%d]", i)
		if !appNamePattern.MatchString(q.Name) || names[q.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is empty, used twice, or not letters, digits, '_', '.' or '-'", field, q.Name))
		}
		names[q.Name] = true
		p, err := Compile(q.Text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.text: %w", field, err))
			continue
		}
		if p.q.From != s.Source.Stream {
			errs = append(errs, fmt.Errorf("%s.text: reads from %s, but the application's input is %s", field, p.q.From, s.Source.Stream))
		}
		if p.q.Into == s.Source.Stream {
			errs = append(errs, fmt.Errorf("%s.text: writing into the input stream would feed the query its own rows", field))
		}
	}
	return errors.Join(errs...)
}

// ParseApp reads an application from JSON and validates it.
func ParseApp(b []byte) (AppSpec, error) {
	var s AppSpec
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return AppSpec{}, fmt.Errorf("analytics application JSON: %w", err)
	}
	return s, s.Validate()
}

// ConsumerApp is the consumer application an analytics application reads its input as (it shows in the Consumers
// tab under this name).
func ConsumerApp(name string) string { return "analytics-" + name }

// resultDepth is how many emitted rows each query keeps for the screen.
const resultDepth = 2000

// App is a running analytics application.
type App struct {
	eng     *engine.Engine
	spec    AppSpec
	queries []*runningQuery
	dataDir string
	// persist stores how far each query got before its rows go out, so a restart never emits them twice.
	persist func(AppState) error

	emitMu  sync.Mutex // one emission at a time: persist, then outputs; checkpoints are taken under it too
	mu      sync.Mutex
	state   AppState
	lastSeq map[string]string // per shard, the last record read
	lastErr string

	worker *consumer.Worker
	cancel context.CancelFunc
	done   chan struct{}
	result error
}

type runningQuery struct {
	spec    QuerySpec
	q       *query
	mu      sync.Mutex
	results []Row // the latest emitted rows, oldest first
}

// AppState is how far an application's queries got: stored before their rows go out, so that a restart, which
// replays what the open windows need, emits nothing twice.
type AppState struct {
	// Closed is, per query, the end of the newest window closed (emitted, or rejected by having): windows ending at
	// or before it are rebuilt by a replay but never emitted again.
	Closed map[string]time.Time `json:"closed,omitempty"`
	// Output is, per query and shard ("query shard"), the last record a query without windows output.
	Output map[string]string `json:"output,omitempty"`
}

func (s AppState) clone() AppState {
	out := AppState{Closed: map[string]time.Time{}, Output: map[string]string{}}
	for k, v := range s.Closed {
		out.Closed[k] = v
	}
	for k, v := range s.Output {
		out.Output[k] = v
	}
	return out
}

// StartApp compiles and runs an application from where state says its queries got; persist is called with the
// new state before each emission's rows go out.
func StartApp(eng *engine.Engine, spec AppSpec, state AppState, persist func(AppState) error) (*App, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	a := &App{eng: eng, spec: spec, dataDir: filepath.Dir(eng.Path()), persist: persist, state: state.clone(),
		lastSeq: map[string]string{}, done: make(chan struct{})}
	for _, qs := range spec.Queries {
		p, _ := Compile(qs.Text) // validated above
		q := newQuery(p)
		q.resumeAfter = a.state.Closed[qs.Name]
		a.queries = append(a.queries, &runningQuery{spec: qs, q: q})
	}
	// The open shards hold event-time windows open until each has been read (or stays silent): one read ahead of
	// another must not make the other's records late.
	if shards, err := eng.ListShards(context.Background(), engine.ListShardsInput{StreamRef: engine.StreamRef{StreamName: spec.Source.Stream}}); err == nil {
		now := time.Now()
		for _, sh := range shards.Shards {
			if sh.SequenceNumberRange.EndingSequenceNumber == "" {
				for _, rq := range a.queries {
					rq.q.shardLocked(sh.ShardId, now)
				}
			}
		}
	}
	start := spec.Source.Start
	if start == "" {
		start = consumer.Latest
	}
	w, err := consumer.NewWorker(eng, consumer.Config{App: ConsumerApp(spec.Name), Worker: "shardlab",
		Stream: engine.StreamRef{StreamName: spec.Source.Stream}, InitialPosition: start,
		InitialTimestamp: spec.Source.At, Process: a.process, PollInterval: consumer.SharedPollInterval})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel, a.worker = cancel, w
	go func() {
		defer close(a.done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		workerDone := make(chan error, 1)
		go func() { workerDone <- w.Run(ctx) }()
		for {
			select {
			case err := <-workerDone:
				if !errors.Is(err, context.Canceled) {
					a.result = err
				}
				return
			case now := <-tick.C:
				a.emit(now) // windows close with time, not only with records
			}
		}
	}()
	return a, nil
}

// Stop ends reading; open windows are rebuilt from the checkpoints when the application starts again.
func (a *App) Stop() {
	a.cancel()
	<-a.done
}

// Done is closed when the application stops reading; Err then says why, if not Stop.
func (a *App) Done() <-chan struct{} { return a.done }

// Err is why the application stopped by itself (its input deleted, say).
func (a *App) Err() error {
	select {
	case <-a.done:
		return a.result
	default:
		return nil
	}
}

// process runs one page of one shard through every query, emits what closed, and moves the shard's checkpoint to
// the earliest record any open window still needs.
func (a *App) process(ctx context.Context, b *consumer.Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	a.mu.Lock()
	prev, hasPrev := a.lastSeq[b.ShardID]
	a.mu.Unlock()
	now := time.Now()
	parsed := map[string][]recordexpr.Record{} // by parser, so queries that read alike parse once
	last := b.Records[len(b.Records)-1]
	pg := &page{shard: b.ShardID, highArrival: last.ApproximateArrivalTimestamp, caughtUp: b.MillisBehindLatest == 0,
		lastSeq: last.SequenceNumber}
	for _, rq := range a.queries {
		p := rq.q.p
		pk := fmt.Sprint(p.q.Parser)
		recs, ok := parsed[pk]
		if !ok {
			recs = make([]recordexpr.Record, len(b.Records))
			for i, r := range b.Records {
				recs[i] = recordexpr.NewRecord(r.Data, r.PartitionKey, r.SequenceNumber, b.ShardID, r.ApproximateArrivalTimestamp)
				if p.parse != nil {
					p.parse(r.Data, &recs[i])
				}
			}
			parsed[pk] = recs
		}
		// a query without windows skips what it output before a restart
		a.mu.Lock()
		outputDone := a.state.Output[rq.spec.Name+" "+b.ShardID]
		a.mu.Unlock()
		ins := make([]input, 0, len(recs))
		var matched, failed uint64
		var lastErr string
		prevSeq, known := prev, hasPrev
		var run recordexpr.Runner
		var arena evalArena
		for i := range recs {
			seq := b.Records[i].SequenceNumber
			if !p.aggregate && outputDone != "" && !seqBefore(outputDone, seq) {
				prevSeq, known = seq, true
				continue
			}
			run.Bind(&recs[i])
			in, ok, err := p.eval(&run, &recs[i], &arena)
			if err != nil {
				failed++
				lastErr = err.Error()
			} else if ok {
				matched++
				in.shard, in.prevSeq, in.hasPrev = b.ShardID, prevSeq, known
				ins = append(ins, in)
			}
			prevSeq, known = seq, true
		}
		rq.q.mu.Lock()
		rq.q.stats.Records += uint64(len(recs))
		rq.q.stats.Matched += matched
		rq.q.stats.Errors += failed
		if lastErr != "" {
			rq.q.stats.LastError = lastErr
		}
		rq.q.mu.Unlock()
		if p.aggregate {
			rq.q.add(pg, ins, now)
		} else {
			rq.q.add(pg, nil, now)
			a.outputPlain(rq, b.ShardID, last.SequenceNumber, plainRows(ins))
		}
	}
	a.mu.Lock()
	a.lastSeq[b.ShardID] = last.SequenceNumber
	a.mu.Unlock()
	a.checkpoint(ctx, b, last.SequenceNumber)
	a.emit(now)
	return nil
}

// checkpoint moves a shard's checkpoint to the earliest record any query still needs for an open window. Taken
// under emitMu, so that windows an emission is closing count as open until their close is stored.
func (a *App) checkpoint(ctx context.Context, b *consumer.Batch, lastSeq string) {
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	replay, ok := lastSeq, true
	for _, rq := range a.queries {
		if !rq.q.p.aggregate {
			continue
		}
		seq, qok := rq.q.replayAfter(b.ShardID)
		if !qok {
			ok = false
			break
		}
		if seqBefore(seq, replay) {
			replay = seq
		}
	}
	if ok {
		if err := b.CheckpointAt(ctx, replay); err != nil && ctx.Err() == nil {
			a.note(err)
		}
	}
}

func plainRows(ins []input) []Row {
	rows := make([]Row, len(ins))
	for i, in := range ins {
		rows[i] = Row{WindowEnd: in.t, Values: in.rowValue}
	}
	return rows
}

// outputPlain stores how far a query without windows got on a shard, then sends its rows.
func (a *App) outputPlain(rq *runningQuery, shard, upTo string, rows []Row) {
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	a.mu.Lock()
	a.state.Output[rq.spec.Name+" "+shard] = upTo
	snapshot := a.state.clone()
	a.mu.Unlock()
	a.store(snapshot)
	if len(rows) > 0 {
		a.output(rq, rows)
	}
}

// emit closes the windows the watermark passed in every query, stores how far each query closed, then sends the
// rows out (at most once: a crash after the store loses the rows rather than sending them twice).
func (a *App) emit(now time.Time) {
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	type closed struct {
		rq   *runningQuery
		rows []Row
	}
	var out []closed
	changed := false
	a.mu.Lock()
	for _, rq := range a.queries {
		rows, end := rq.q.advance(now)
		if end.After(a.state.Closed[rq.spec.Name]) {
			a.state.Closed[rq.spec.Name] = end
			changed = true
		}
		if len(rows) > 0 {
			out = append(out, closed{rq, rows})
		}
	}
	snapshot := a.state.clone()
	a.mu.Unlock()
	if changed {
		a.store(snapshot)
	}
	for _, c := range out {
		a.output(c.rq, c.rows)
	}
}

// store persists the state, retrying a failure a few times: rows go out after it either way, and a failure is
// reported, since a restart may then emit them again.
func (a *App) store(state AppState) {
	if a.persist == nil {
		return
	}
	var err error
	for attempt := range 3 {
		if err = a.persist(state); err == nil {
			return
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	a.note(fmt.Errorf("storing how far the queries got (their rows may be emitted again after a restart): %w", err))
}

// output keeps rows for the screen and sends them to the query's output stream and capture file.
func (a *App) output(rq *runningQuery, rows []Row) {
	rq.mu.Lock()
	rq.results = append(rq.results, rows...)
	if over := len(rq.results) - resultDepth; over > 0 {
		rq.results = append(rq.results[:0], rq.results[over:]...)
	}
	rq.mu.Unlock()
	p := rq.q.p
	if p.q.Into == "" && rq.spec.Capture == "" {
		return
	}
	lines := make([][]byte, len(rows))
	for i, r := range rows {
		lines[i] = rowJSON(p, r)
	}
	if p.q.Into != "" {
		var entries []engine.PutRecordsEntry
		for i, r := range rows {
			entries = append(entries, engine.PutRecordsEntry{PartitionKey: a.outputKey(p, r), Data: lines[i]})
			if len(entries) == 500 || i == len(rows)-1 {
				out, err := a.eng.PutRecords(context.Background(), engine.PutRecordsInput{
					StreamRef: engine.StreamRef{StreamName: p.q.Into}, Records: entries})
				if err == nil && out.FailedRecordCount > 0 {
					err = fmt.Errorf("%d rows refused by %s", out.FailedRecordCount, p.q.Into)
				}
				if err != nil {
					a.note(fmt.Errorf("query %s into %s: %w", rq.spec.Name, p.q.Into, err))
				}
				entries = nil
			}
		}
	}
	if rq.spec.Capture != "" {
		path := rq.spec.Capture
		if !filepath.IsAbs(path) {
			path = filepath.Join(a.dataDir, path)
		}
		if err := appendLines(path, lines); err != nil {
			a.note(fmt.Errorf("query %s capture: %w", rq.spec.Name, err))
		}
	}
}

func appendLines(path string, lines [][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	for _, l := range lines {
		f.Write(append(l, '\n'))
	}
	return f.Close()
}

// outputKey is an output record's partition key: the into clause's key expression, else the group, else the
// window's start.
func (a *App) outputKey(p *plan, r Row) string {
	if p.intoKey != nil {
		env := rowEnv(p, r)
		if v, err := expr.Run(p.intoKey, env); err == nil && v != nil {
			if s := fmt.Sprint(v); s != "" {
				return truncateKey(s)
			}
		}
	}
	if r.Group != "" {
		return truncateKey(r.Group)
	}
	return r.WindowStart.UTC().Format(time.RFC3339Nano)
}

func truncateKey(s string) string {
	if r := []rune(s); len(r) > 256 {
		return string(r[:256])
	}
	return s
}

func rowEnv(p *plan, r Row) map[string]any {
	env := make(map[string]any, len(p.columns))
	for i, c := range p.columns {
		env[c] = r.Values[i]
	}
	return env
}

// rowJSON is a row as an output record: its columns, windows' times in RFC 3339.
func rowJSON(p *plan, r Row) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range p.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		b.Write(k)
		b.WriteByte(':')
		v := r.Values[i]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		vb, err := json.Marshal(v)
		if err != nil {
			vb, _ = json.Marshal(fmt.Sprint(v))
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func (a *App) note(err error) {
	a.mu.Lock()
	a.lastErr = err.Error()
	a.mu.Unlock()
}

// QueryStatus is a query's counts and columns, for the screen.
type QueryStatus struct {
	Name    string
	Columns []string
	Stats   Stats
}

// Status reports every query's counts and the application's last error.
func (a *App) Status() ([]QueryStatus, string) {
	now := time.Now()
	var out []QueryStatus
	for _, rq := range a.queries {
		out = append(out, QueryStatus{Name: rq.spec.Name, Columns: rq.q.p.columns, Stats: rq.q.snapshot(now)})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return out, a.lastErr
}

// ReadsThrottled counts the source reads refused over a shard's read limit, which every reader shares.
func (a *App) ReadsThrottled() uint64 { return a.worker.ReadsThrottled() }

// Results returns a query's latest emitted rows (oldest first) and its open windows as they stand.
func (a *App) Results(query string) (emitted, open []Row, err error) {
	for _, rq := range a.queries {
		if rq.spec.Name == query {
			rq.mu.Lock()
			emitted = append([]Row(nil), rq.results...)
			rq.mu.Unlock()
			if rq.q.p.aggregate {
				open = rq.q.current()
			}
			return emitted, open, nil
		}
	}
	return nil, nil, fmt.Errorf("no query %q in %s", query, a.spec.Name)
}
