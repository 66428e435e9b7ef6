package analytics

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"

	"github.com/shardlab/shardlab/engine/recordexpr"
)

// Row is one output row: a window's group (aggregate queries) or one record (plain queries).
type Row struct {
	WindowStart, WindowEnd time.Time // zero for plain queries
	Group                  string    // the group's key values, for telling series apart
	Values                 []any     // in the query's Columns order
}

// Stats count what a query saw.
type Stats struct {
	Records   uint64 // records read
	Matched   uint64 // passed where
	Late      uint64 // came after every window they belonged to had closed
	Errors    uint64 // an expression failed on them (a nil member, a text where a number was due): skipped
	Rows      uint64 // rows emitted
	Windows   int    // windows open now
	Groups    int    // groups open now, over all windows
	LastError string
	Watermark time.Time // windows ending at or before it are closed
}

// input is a record evaluated for a query, before it is added to its windows.
type input struct {
	t        time.Time
	key      string
	keyVals  []any
	args     []any
	shard    string
	prevSeq  string // the shard's record before this one ("" when unknown): where a replay must start
	hasPrev  bool
	rowValue []any // plain queries: the selected values
}

// arrivalGrace is how long after a record's arrival a caught-up shard may still deliver records stamped earlier.
const arrivalGrace = time.Second

// maxEventAhead bounds event times: one far in the future would close every window at once, for good.
const maxEventAhead = 24 * time.Hour

// idleAfter: with event time and no record for this long, the newest event time closes the windows it ends,
// lateness or not — otherwise the last windows of a stream that stopped would never close.
const idleAfter = 5 * time.Second

// query runs one compiled query: its open windows, groups and aggregates. Safe for concurrent use.
type query struct {
	p *plan

	mu       sync.Mutex
	windows  map[int64]*window
	sessions map[string][]*session
	maxEvent time.Time
	// closedUpTo: windows ending at or before it are closed; resumeAfter: those ending at or before it were
	// emitted before a restart, and are rebuilt from the replay but never emitted again.
	closedUpTo, resumeAfter time.Time
	lastInput               time.Time // wall clock of the last record, for idleAfter
	shards                  map[string]*shardProgress
	stats                   Stats
}

type shardProgress struct {
	highArrival time.Time
	caughtUp    bool
	lastSeq     string
	maxEvent    time.Time // the newest event time read from the shard
	lastPage    time.Time // wall clock of its last page (or of the start, for a shard not read yet)
	lastMatch   time.Time // wall clock of its last record that went into a window
	seen        time.Time // when the query first heard of the shard
}

// page is what a reader learnt of a shard from one page, recorded with the page's records.
type page struct {
	shard       string
	highArrival time.Time
	caughtUp    bool
	lastSeq     string
}

// shardLocked is a shard's progress, made on first sight. Caller holds q.mu.
func (q *query) shardLocked(id string, now time.Time) *shardProgress {
	sp := q.shards[id]
	if sp == nil {
		sp = &shardProgress{lastPage: now, seen: now}
		q.shards[id] = sp
	}
	return sp
}

type window struct {
	start, end time.Time
	groups     map[string]*group
	firstPrev  map[string]string // per shard, the record before its first one in the window ("" unknown)
}

type group struct {
	keyVals []any
	aggs    []aggState
}

type session struct {
	start, last time.Time
	grp         *group
	firstPrev   map[string]string
}

func newQuery(p *plan) *query {
	return &query{p: p, windows: map[int64]*window{}, sessions: map[string][]*session{}, shards: map[string]*shardProgress{}}
}

// evalArena hands out the per-record slices of one page from a few large ones: a page's records are evaluated
// together, and thousands of tiny allocations a page cost the garbage collector more than the expressions.
type evalArena struct {
	vals []any
}

func (a *evalArena) take(n int) []any {
	if n == 0 {
		return nil
	}
	if len(a.vals) < n {
		a.vals = make([]any, max(n, 4096))
	}
	out := a.vals[:n:n]
	a.vals = a.vals[n:]
	return out
}

// eval runs the record-side expressions: where, keys, time and the aggregates' arguments (or, for a plain query,
// its select items). ok is false for a record where drops; an error skips the record. run is bound to r.
func (p *plan) eval(run *recordexpr.Runner, r *recordexpr.Record, arena *evalArena) (in input, ok bool, err error) {
	if p.where != nil {
		match, err := run.Match(p.where)
		if err != nil || !match {
			return in, false, err
		}
	}
	if !p.aggregate {
		in.rowValue = make([]any, len(p.plainItems))
		for i, v := range p.plainItems {
			if in.rowValue[i], err = run.Value(v); err != nil {
				return in, false, err
			}
		}
		in.t = r.TS
		return in, true, nil
	}
	in.t = r.TS
	if p.eventTime != nil {
		v, err := run.Value(p.eventTime)
		if err != nil {
			return in, false, err
		}
		if in.t, err = eventTime(v); err != nil {
			return in, false, err
		}
		if in.t.Year() < 1970 || in.t.After(time.Now().Add(maxEventAhead)) {
			return in, false, fmt.Errorf("event time %s is before 1970 or more than a day ahead of the clock", in.t.Format(time.RFC3339))
		}
	}
	switch len(p.keys) {
	case 0:
	case 1: // the common case: the key is the value's text, with no joining
		v, err := run.Value(p.keys[0])
		if err != nil {
			return in, false, err
		}
		in.keyVals = arena.take(1)
		in.keyVals[0] = v
		if s, isText := v.(string); isText {
			in.key = s
		} else {
			in.key = string(keyBytes(v))
		}
	default:
		var b strings.Builder
		in.keyVals = arena.take(len(p.keys))
		for i, k := range p.keys {
			v, err := run.Value(k)
			if err != nil {
				return in, false, err
			}
			in.keyVals[i] = v
			if i > 0 {
				b.WriteString(" · ")
			}
			b.Write(keyBytes(v))
		}
		in.key = b.String()
	}
	in.args = arena.take(len(p.args))
	for i, a := range p.args {
		if in.args[i], err = run.Value(a); err != nil {
			return in, false, err
		}
	}
	// Numbers are read here, so that a record with a text where a number is due fails whole, before any of its
	// aggregates counted it.
	for _, s := range p.aggs {
		if s.arg >= 0 && numericAgg(s.fn) && in.args[s.arg] != nil {
			f, err := number(in.args[s.arg])
			if err != nil {
				return in, false, fmt.Errorf("%s: %w", s.fn, err)
			}
			in.args[s.arg] = f
		}
	}
	return in, true, nil
}

// eventTime reads an event time: a time, RFC 3339 text, or Unix milliseconds.
func eventTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("event time %q is not RFC 3339", x)
		}
		return t, nil
	case nil:
		return time.Time{}, errors.New("the event time is nil")
	}
	f, err := number(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("event time %v is not a time, RFC 3339 text or Unix milliseconds", v)
	}
	return time.UnixMilli(int64(f)), nil
}

// windowsOf are the starts of the tumbling or sliding windows a time falls in, oldest first: every multiple of the
// slide in (t − size, t].
func (w Window) windowsOf(t time.Time) []time.Time {
	size, slide := int64(w.Size), int64(w.Slide)
	if w.Kind == Tumbling {
		slide = size
	}
	ns := t.UnixNano()
	var out []time.Time
	for s := ns - mod(ns, slide); s > ns-size; s -= slide {
		out = append(out, time.Unix(0, s))
	}
	slices.Reverse(out)
	return out
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// add records a page's progress and puts its evaluated records in their windows, under one lock: windows never
// close between the two.
func (q *query) add(pg *page, ins []input, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if pg != nil {
		sp := q.shardLocked(pg.shard, now)
		sp.highArrival, sp.caughtUp, sp.lastSeq, sp.lastPage = pg.highArrival, pg.caughtUp, pg.lastSeq, now
	}
	if len(ins) > 0 {
		q.lastInput = now
	}
	for i := range ins {
		in := &ins[i]
		if in.t.After(q.maxEvent) {
			q.maxEvent = in.t
		}
		sp := q.shardLocked(in.shard, now)
		if in.t.After(sp.maxEvent) {
			sp.maxEvent = in.t
		}
		sp.lastMatch, sp.lastPage = now, now
		if q.p.q.Window.Kind == Session {
			q.addSession(in)
			continue
		}
		added := false
		for _, start := range q.p.q.Window.windowsOf(in.t) {
			end := start.Add(q.p.q.Window.Size)
			if !end.After(q.closedUpTo) {
				continue
			}
			w := q.windows[start.UnixNano()]
			if w == nil {
				w = &window{start: start, end: end, groups: map[string]*group{}, firstPrev: map[string]string{}}
				q.windows[start.UnixNano()] = w
			}
			if _, ok := w.firstPrev[in.shard]; !ok {
				w.firstPrev[in.shard] = prevOrUnknown(in)
			}
			q.addTo(w.groups, in)
			added = true
		}
		if !added {
			q.stats.Late++
		}
	}
}

func prevOrUnknown(in *input) string {
	if in.hasPrev {
		return in.prevSeq
	}
	return unknownPrev
}

// unknownPrev marks a window holding a shard's first record after a start: the shard's checkpoint cannot move
// while it is open.
const unknownPrev = "?"

func (q *query) addTo(groups map[string]*group, in *input) {
	g := groups[in.key]
	if g == nil {
		g = q.newGroup(in.keyVals)
		groups[in.key] = g
	}
	q.addToGroup(g, in)
}

func (q *query) newGroup(keyVals []any) *group {
	g := &group{keyVals: keyVals, aggs: make([]aggState, len(q.p.aggs))}
	for i, s := range q.p.aggs {
		g.aggs[i] = newAggState(s)
	}
	return g
}

func (q *query) addToGroup(g *group, in *input) {
	for i, s := range q.p.aggs {
		var v any
		if s.arg >= 0 {
			v = in.args[s.arg]
		}
		if err := g.aggs[i].add(v, in.t); err != nil {
			q.stats.Errors++
			q.stats.LastError = err.Error()
			return
		}
	}
}

// addSession extends the group's session the record falls in (merging two it bridges), or opens one.
func (q *query) addSession(in *input) {
	gap := q.p.q.Window.Gap
	if !in.t.Add(gap).After(q.closedUpTo) {
		q.stats.Late++
		return
	}
	list := q.sessions[in.key]
	var into *session
	var bridged []*session
	for _, s := range list {
		if in.t.Before(s.start.Add(-gap)) || in.t.After(s.last.Add(gap)) {
			continue
		}
		if into == nil {
			into = s
		} else {
			bridged = append(bridged, s)
		}
	}
	for _, s := range bridged { // the record bridges sessions: they become one
		for i, a := range s.grp.aggs {
			into.grp.aggs[i].merge(a)
		}
		into.start, into.last = minTime(into.start, s.start), maxTime(into.last, s.last)
		for shard, prev := range s.firstPrev {
			if cur, ok := into.firstPrev[shard]; !ok || seqBefore(prev, cur) {
				into.firstPrev[shard] = prev
			}
		}
		list = slices.DeleteFunc(list, func(x *session) bool { return x == s })
	}
	if into == nil {
		into = &session{start: in.t, last: in.t, grp: q.newGroup(in.keyVals), firstPrev: map[string]string{}}
		list = append(list, into)
	}
	into.start, into.last = minTime(into.start, in.t), maxTime(into.last, in.t)
	if _, ok := into.firstPrev[in.shard]; !ok {
		into.firstPrev[in.shard] = prevOrUnknown(in)
	}
	q.sessions[in.key] = list
	q.addToGroup(into.grp, in)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// seqBefore orders sequence numbers (decimal text); the unknown mark sorts first, so it wins a minimum.
func seqBefore(a, b string) bool {
	if a == unknownPrev || b == unknownPrev {
		return a == unknownPrev && b != unknownPrev
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// watermarkLocked is the time up to which windows may close now.
func (q *query) watermarkLocked(now time.Time) time.Time {
	w := q.p.q.Window
	if q.p.eventTime != nil {
		// Each shard's event time progresses on its own (one may be read ahead of another): the watermark is the
		// slowest active shard's, and a shard silent for idleAfter stops holding it back.
		var slowest time.Time
		active := false
		for _, sp := range q.shards {
			// idle: no record in a window lately (a shard whose records all fail where counts as idle too, once the
			// start-up's grace is over)
			last := sp.lastMatch
			if last.IsZero() {
				last = sp.seen
			}
			if now.Sub(last) >= idleAfter {
				continue
			}
			if !active || sp.maxEvent.Before(slowest) {
				slowest = sp.maxEvent
			}
			active = true
		}
		switch {
		case !active:
			return q.maxEvent // everything is idle: what was read is all there is for now
		case slowest.IsZero():
			return time.Time{} // a shard not read yet holds every window open
		}
		return slowest.Add(-w.Lateness)
	}
	wm := now.Add(-arrivalGrace)
	for _, s := range q.shards { // a shard with a backlog holds the windows its unread records fall in
		if !s.caughtUp && now.Sub(s.lastPage) < idleAfter && s.highArrival.Before(wm) {
			wm = s.highArrival
		}
	}
	return wm.Add(-w.Lateness)
}

// advance closes the windows the watermark has passed and returns their rows, oldest window first, and the end of
// the newest window closed (zero when none closed). Windows ending at or before resumeAfter (closed by an earlier
// run) close without rows.
func (q *query) advance(now time.Time) ([]Row, time.Time) {
	if !q.p.aggregate {
		return nil, time.Time{}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	wm := q.watermarkLocked(now)
	if !wm.After(q.closedUpTo) {
		return nil, time.Time{}
	}
	var rows []Row
	var closedEnd time.Time
	for k, w := range q.windows {
		if w.end.After(wm) {
			continue
		}
		delete(q.windows, k)
		closedEnd = maxTime(closedEnd, w.end)
		if w.end.After(q.resumeAfter) {
			for _, g := range w.groups {
				if row, ok := q.row(w.start, w.end, g, true); ok {
					rows = append(rows, row)
				}
			}
		}
	}
	for key, list := range q.sessions {
		kept := list[:0]
		for _, s := range list {
			end := s.last.Add(q.p.q.Window.Gap)
			if end.After(wm) {
				kept = append(kept, s)
				continue
			}
			closedEnd = maxTime(closedEnd, end)
			if end.After(q.resumeAfter) {
				if row, ok := q.row(s.start, end, s.grp, true); ok {
					rows = append(rows, row)
				}
			}
		}
		if len(kept) == 0 {
			delete(q.sessions, key)
		} else {
			q.sessions[key] = kept
		}
	}
	q.closedUpTo = wm
	q.stats.Rows += uint64(len(rows))
	sortRows(rows)
	return rows, closedEnd
}

func sortRows(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := a.WindowEnd.Compare(b.WindowEnd); c != 0 {
			return c
		}
		if c := a.WindowStart.Compare(b.WindowStart); c != 0 {
			return c
		}
		return cmp.Compare(a.Group, b.Group)
	})
}

// row computes a group's output row; ok is false when having rejects it or an item fails (counted with count).
func (q *query) row(start, end time.Time, g *group, count bool) (Row, bool) {
	env := make(map[string]any, len(q.p.keyNames)+len(g.aggs)+len(q.p.columns)+2)
	env["window_start"], env["window_end"] = start, end
	for i, name := range q.p.keyNames {
		env[name] = g.keyVals[i]
	}
	for i, a := range g.aggs {
		env[aggVar(i)] = a.result()
	}
	values := make(map[string]any, len(q.p.names))
	for i, prog := range q.p.items {
		v, err := expr.Run(prog, env)
		if err != nil {
			if count {
				q.stats.Errors++
				q.stats.LastError = fmt.Sprintf("%s: %v", q.p.names[i], firstLine(err))
			}
			return Row{}, false
		}
		values[q.p.names[i]] = v
	}
	for name, v := range values {
		env[name] = v
	}
	if q.p.having != nil {
		keep, err := expr.Run(q.p.having, env)
		if err != nil || keep != true {
			return Row{}, false
		}
	}
	row := Row{WindowStart: start, WindowEnd: end, Values: make([]any, len(q.p.columns))}
	for i, c := range q.p.columns {
		row.Values[i] = env[c]
	}
	var key strings.Builder
	for i, v := range g.keyVals {
		if i > 0 {
			key.WriteString(" · ")
		}
		key.Write(keyBytes(v))
	}
	row.Group = key.String()
	return row, true
}

// maxOpenRows bounds the open windows' rows computed for a live view.
const maxOpenRows = 500

// current computes up to maxOpenRows of the open windows' rows as they stand, for a live view.
func (q *query) current() []Row {
	q.mu.Lock()
	defer q.mu.Unlock()
	var rows []Row
	for _, w := range q.windows {
		for _, g := range w.groups {
			if len(rows) >= maxOpenRows {
				break
			}
			if row, ok := q.row(w.start, w.end, g, false); ok {
				rows = append(rows, row)
			}
		}
	}
	for _, list := range q.sessions {
		for _, s := range list {
			if len(rows) >= maxOpenRows {
				break
			}
			if row, ok := q.row(s.start, s.last.Add(q.p.q.Window.Gap), s.grp, false); ok {
				rows = append(rows, row)
			}
		}
	}
	sortRows(rows)
	return rows
}

// replayAfter is where a restart must resume reading a shard so that every open window can be rebuilt: the
// record before the earliest one of the shard in an open window, or the last one read when none is open. ok is
// false when an open window holds a record whose predecessor is unknown.
func (q *query) replayAfter(shard string) (seq string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	earliest, found := "", false
	consider := func(prevs map[string]string) {
		if prev, in := prevs[shard]; in && (!found || seqBefore(prev, earliest)) {
			earliest, found = prev, true
		}
	}
	for _, w := range q.windows {
		consider(w.firstPrev)
	}
	for _, list := range q.sessions {
		for _, s := range list {
			consider(s.firstPrev)
		}
	}
	switch {
	case !found:
		if p := q.shards[shard]; p != nil && p.lastSeq != "" {
			return p.lastSeq, true
		}
		return "", false
	case earliest == unknownPrev:
		return "", false
	}
	return earliest, true
}

// snapshot reports the query's counts.
func (q *query) snapshot(now time.Time) Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Windows = len(q.windows)
	for _, w := range q.windows {
		s.Groups += len(w.groups)
	}
	for _, list := range q.sessions {
		s.Windows += len(list)
		s.Groups += len(list)
	}
	s.Watermark = q.closedUpTo
	return s
}
