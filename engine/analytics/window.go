package analytics

import (
	"slices"
	"sync"
	"time"
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
