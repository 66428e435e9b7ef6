package analytics

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/recordexpr"
)

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

// maxEventAhead bounds event times: one far in the future would close every window at once, for good.
const maxEventAhead = 24 * time.Hour

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
