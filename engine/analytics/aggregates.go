package analytics

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/axiomhq/hyperloglog"

	"github.com/shardlab/shardlab/internal/sketch"
)

// Accuracy of the approximate aggregates, as documented in the README.
const (
	// PercentileAccuracy is the DDSketch relative accuracy: a reported percentile is within 1 % of a value that
	// really is at that rank.
	PercentileAccuracy = 0.01
	// DistinctError is HyperLogLog's standard error at precision 14: 1.04 / √16384 ≈ 0.81 %.
	DistinctError = 0.0081
	// topKTracked is how many keys a top-k tracks per requested one: Space-Saving is exact while the keys seen
	// fit, and close for the heavy ones after.
	topKTracked = 10
)

// aggFunc describes an aggregate the select clause may call.
type aggFunc struct {
	args     int     // 0 (count()), 1, or 2 (percentile(x, q), topk(x, k)); count takes 0 or 1
	quantile float64 // p50 … p99
}

var aggFuncs = map[string]aggFunc{
	"count": {args: 1}, "sum": {args: 1}, "min": {args: 1}, "max": {args: 1}, "avg": {args: 1},
	"count_distinct": {args: 1}, "distinct": {args: 1}, "first": {args: 1}, "last": {args: 1},
	"p50": {args: 1, quantile: 0.5}, "p90": {args: 1, quantile: 0.9}, "p95": {args: 1, quantile: 0.95},
	"p99": {args: 1, quantile: 0.99}, "percentile": {args: 2}, "topk": {args: 2},
}

// aggSpec is one aggregate call of a query, compiled.
type aggSpec struct {
	fn    string
	arg   int     // index of its argument among the query's compiled argument expressions; -1 for count()
	param float64 // the quantile, or k
}

// numericAgg reports whether an aggregate takes numbers.
func numericAgg(fn string) bool {
	switch fn {
	case "sum", "avg", "min", "max", "p50", "p90", "p95", "p99", "percentile":
		return true
	}
	return false
}

// aggState accumulates one aggregate of one group of one window.
type aggState interface {
	add(v any, t time.Time) error
	merge(other aggState)
	result() any
}

func newAggState(s aggSpec) aggState {
	switch s.fn {
	case "count":
		return &countAgg{all: s.arg < 0}
	case "sum", "avg":
		return &sumAgg{avg: s.fn == "avg"}
	case "min", "max":
		return &extremeAgg{max: s.fn == "max"}
	case "count_distinct", "distinct":
		return &distinctAgg{}
	case "first", "last":
		return &edgeAgg{last: s.fn == "last"}
	case "topk":
		return &topKAgg{k: int(s.param)}
	}
	return &percentileAgg{q: s.param}
}

type countAgg struct {
	all bool
	n   int64
}

func (a *countAgg) add(v any, _ time.Time) error {
	if a.all || v != nil {
		a.n++
	}
	return nil
}
func (a *countAgg) merge(o aggState) { a.n += o.(*countAgg).n }
func (a *countAgg) result() any      { return a.n }

type sumAgg struct {
	avg bool
	sum float64
	n   int64
}

func (a *sumAgg) add(v any, _ time.Time) error {
	if v == nil {
		return nil
	}
	f, err := number(v)
	if err != nil {
		return err
	}
	a.sum += f
	a.n++
	return nil
}
func (a *sumAgg) merge(o aggState) { b := o.(*sumAgg); a.sum += b.sum; a.n += b.n }
func (a *sumAgg) result() any {
	if !a.avg {
		return a.sum
	}
	if a.n == 0 {
		return nil
	}
	return a.sum / float64(a.n)
}

type extremeAgg struct {
	max  bool
	v    float64
	seen bool
}

func (a *extremeAgg) add(v any, _ time.Time) error {
	if v == nil {
		return nil
	}
	f, err := number(v)
	if err != nil {
		return err
	}
	if !a.seen || (a.max && f > a.v) || (!a.max && f < a.v) {
		a.v, a.seen = f, true
	}
	return nil
}
func (a *extremeAgg) merge(o aggState) {
	if b := o.(*extremeAgg); b.seen {
		a.add(b.v, time.Time{})
	}
}
func (a *extremeAgg) result() any {
	if !a.seen {
		return nil
	}
	return a.v
}

type distinctAgg struct{ hll *hyperloglog.Sketch }

func (a *distinctAgg) add(v any, _ time.Time) error {
	if v == nil {
		return nil
	}
	if a.hll == nil {
		a.hll = hyperloglog.New14()
	}
	a.hll.Insert(keyBytes(v))
	return nil
}
func (a *distinctAgg) merge(o aggState) {
	b := o.(*distinctAgg)
	if b.hll == nil {
		return
	}
	if a.hll == nil {
		a.hll = hyperloglog.New14()
	}
	_ = a.hll.Merge(b.hll) // same precision: cannot fail
}
func (a *distinctAgg) result() any {
	if a.hll == nil {
		return int64(0)
	}
	return int64(a.hll.Estimate())
}

type percentileAgg struct {
	q  float64
	sk *ddsketch.DDSketch
}

func (a *percentileAgg) add(v any, _ time.Time) error {
	if v == nil {
		return nil
	}
	f, err := number(v)
	if err != nil {
		return err
	}
	if a.sk == nil {
		a.sk, _ = ddsketch.NewDefaultDDSketch(PercentileAccuracy) // a fixed, valid accuracy
	}
	return a.sk.Add(f)
}
func (a *percentileAgg) merge(o aggState) {
	b := o.(*percentileAgg)
	if b.sk == nil {
		return
	}
	if a.sk == nil {
		a.sk = b.sk.Copy()
		return
	}
	_ = a.sk.MergeWith(b.sk) // same mapping: cannot fail
}
func (a *percentileAgg) result() any {
	if a.sk == nil || a.sk.IsEmpty() {
		return nil
	}
	v, err := a.sk.GetValueAtQuantile(a.q)
	if err != nil {
		return nil
	}
	return v
}

// edgeAgg is first or last: the value of the earliest (latest) record by the window's time, ties by reading order.
type edgeAgg struct {
	last bool
	v    any
	t    time.Time
	seen bool
}

func (a *edgeAgg) add(v any, t time.Time) error {
	if !a.seen || (a.last && !t.Before(a.t)) || (!a.last && t.Before(a.t)) {
		a.v, a.t, a.seen = v, t, true
	}
	return nil
}
func (a *edgeAgg) merge(o aggState) {
	if b := o.(*edgeAgg); b.seen {
		a.add(b.v, b.t)
	}
}
func (a *edgeAgg) result() any { return a.v }

type topKAgg struct {
	k  int
	sk *sketch.TopK
}

func (a *topKAgg) add(v any, _ time.Time) error {
	if v == nil {
		return nil
	}
	if a.sk == nil {
		a.sk = sketch.NewTopK(a.k * topKTracked)
	}
	a.sk.Add(string(keyBytes(v)), 1)
	return nil
}
func (a *topKAgg) merge(o aggState) {
	b := o.(*topKAgg)
	if b.sk == nil {
		return
	}
	if a.sk == nil {
		a.sk = sketch.NewTopK(a.k * topKTracked)
	}
	for _, e := range b.sk.Top(a.k * topKTracked) {
		a.sk.Add(e.Key, e.Count)
	}
}

// TopEntry is one value of a top-k result and how many records had it.
type TopEntry struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

func (a *topKAgg) result() any {
	out := []TopEntry{}
	if a.sk != nil {
		for _, e := range a.sk.Top(a.k) {
			out = append(out, TopEntry{e.Key, int64(e.Count)})
		}
	}
	return out
}

// number reads a numeric value: numbers, and text that is a number (CSV and regex fields are text).
func number(v any) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%v is not a number to aggregate", x)
		}
		return x, nil
	case float32:
		return number(float64(x))
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// keyBytes is a value as the bytes distinct counts and top-k compare: text as is, anything else printed.
func keyBytes(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []byte:
		return x
	}
	return fmt.Append(nil, v)
}
