package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// arrivalGrace is how long after a record's arrival a caught-up shard may still deliver records stamped earlier.
const arrivalGrace = time.Second

// idleAfter: with event time and no record for this long, the newest event time closes the windows it ends,
// lateness or not — otherwise the last windows of a stream that stopped would never close.
const idleAfter = 5 * time.Second

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
