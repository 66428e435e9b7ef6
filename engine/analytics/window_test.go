package analytics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/recordexpr"
)

// event is a generated record: its event time, group, and value.
type event struct {
	t     time.Time
	user  string
	v     float64
	order int
}

var epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// genEvents makes n events over span, each up to disorder out of order, in the order they arrive.
func genEvents(rng *rand.Rand, n int, span, disorder time.Duration, users int) []event {
	evs := make([]event, n)
	for i := range evs {
		base := epoch.Add(time.Duration(float64(span) * float64(i) / float64(n)))
		jitter := time.Duration(rng.Int64N(int64(disorder) + 1))
		evs[i] = event{t: base.Add(-jitter), user: fmt.Sprintf("u%d", rng.IntN(users)), v: float64(rng.IntN(1000)) + rng.Float64(), order: i}
	}
	return evs
}

func (e event) record() recordexpr.Record {
	data := fmt.Appendf(nil, `{"ts":%q,"user":%q,"v":%v}`, e.t.Format(time.RFC3339Nano), e.user, e.v)
	return recordexpr.NewRecord(data, e.user, fmt.Sprint(e.order), "shardId-0", epoch)
}

// runQuery feeds events in batches, advancing after each (as a reader does), then lets the stream go idle so every
// window the newest event ends closes. It returns the rows by "start|group".
func runQuery(t *testing.T, text string, evs []event, batch int) (map[string]Row, *plan, Stats) {
	t.Helper()
	p, err := Compile(text)
	if err != nil {
		t.Fatal(err)
	}
	q := newQuery(p)
	rows := map[string]Row{}
	collect := func(rs []Row) {
		for _, r := range rs {
			k := r.WindowStart.UTC().Format(time.RFC3339Nano) + "|" + r.Group // the reference keys windows in UTC
			if _, dup := rows[k]; dup {
				t.Fatalf("window %s emitted twice", k)
			}
			rows[k] = r
		}
	}
	now := time.Now()
	for i := 0; i < len(evs); i += batch {
		var ins []input
		var run recordexpr.Runner
		var arena evalArena
		for _, e := range evs[i:min(i+batch, len(evs))] {
			rec := e.record()
			run.Bind(&rec)
			in, ok, err := p.eval(&run, &rec, &arena)
			if err != nil || !ok {
				t.Fatalf("eval: %v %v", ok, err)
			}
			in.shard = "shardId-0"
			ins = append(ins, in)
		}
		q.add(nil, ins, now)
		rows, _ := q.advance(now)
		collect(rows)
	}
	final, _ := q.advance(now.Add(idleAfter))
	collect(final)
	return rows, p, q.snapshot(now)
}

// refWindows is the brute-force reference: each event is put in every window it belongs to that has not closed
// (closed = ended at or before the newest event time minus lateness, as of the batch before), else it is late.
func refWindows(evs []event, size, slide, lateness time.Duration, batch int) (map[string][]event, int) {
	wins := map[string][]event{}
	late := 0
	var maxEvent, closed time.Time
	for i := 0; i < len(evs); i += batch {
		for _, e := range evs[i:min(i+batch, len(evs))] {
			if e.t.After(maxEvent) {
				maxEvent = e.t
			}
			in := false
			for s := e.t.Add(-size).Truncate(slide).Add(-slide); s.Before(e.t.Add(size)); s = s.Add(slide) {
				if !e.t.Before(s) && e.t.Before(s.Add(size)) && s.Add(size).After(closed) {
					k := s.Format(time.RFC3339Nano) + "|" + e.user
					wins[k] = append(wins[k], e)
					in = true
				}
			}
			if !in {
				late++
			}
		}
		if wm := maxEvent.Add(-lateness); wm.After(closed) {
			closed = wm
		}
	}
	// only windows ending by the newest event time are emitted
	for k, list := range wins {
		start, _ := time.Parse(time.RFC3339Nano, strings.Split(k, "|")[0])
		if start.Add(size).After(maxEvent) {
			delete(wins, k)
		}
		_ = list
	}
	return wins, late
}

func values(list []event) []float64 {
	out := make([]float64, len(list))
	for i, e := range list {
		out[i] = e.v
	}
	sort.Float64s(out)
	return out
}

func col(p *plan, r Row, name string) any { return r.Values[slices.Index(p.columns, name)] }

func approx(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+1e-9
}

// checkExact compares count, sum, avg, min, max, first and last with the reference, and the percentile within the
// sketch's accuracy.
func checkAggregates(t *testing.T, name string, rows map[string]Row, p *plan, ref map[string][]event) {
	t.Helper()
	if len(rows) != len(ref) {
		t.Fatalf("%s: %d rows, reference %d", name, len(rows), len(ref))
	}
	for k, list := range ref {
		r, ok := rows[k]
		if !ok {
			t.Fatalf("%s: no row for %s", name, k)
		}
		vs := values(list)
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		first, last := list[0], list[0]
		for _, e := range list {
			if e.t.Before(first.t) {
				first = e
			}
			if !e.t.Before(last.t) {
				last = e
			}
		}
		got := func(c string) float64 { f, _ := number(col(p, r, c)); return f }
		if got("n") != float64(len(list)) || !approx(got("total"), sum, 1e-9) || !approx(got("mean"), sum/float64(len(vs)), 1e-9) ||
			got("lo") != vs[0] || got("hi") != vs[len(vs)-1] || got("first_v") != first.v || got("last_v") != last.v {
			t.Fatalf("%s %s: row %v; reference n=%d sum=%v min=%v max=%v first=%v last=%v", name, k, r.Values,
				len(list), sum, vs[0], vs[len(vs)-1], first.v, last.v)
		}
		for _, pc := range []struct {
			col string
			q   float64
		}{{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}} {
			rank := pc.q * float64(len(vs)-1)
			lo, hi := vs[int(math.Floor(rank))], vs[int(math.Ceil(rank))]
			if v := got(pc.col); v < lo*(1-PercentileAccuracy)-1e-9 || v > hi*(1+PercentileAccuracy)+1e-9 {
				t.Fatalf("%s %s: %s %v outside [%v, %v] ± 1 %%", name, k, pc.col, v, lo, hi)
			}
		}
		users := map[string]bool{}
		for _, e := range list {
			users[e.user] = true
		}
		if d := got("distinct_users"); !approx(d, float64(len(users)), 3*DistinctError) {
			t.Fatalf("%s %s: %v distinct users, want %d", name, k, d, len(users))
		}
	}
}

const aggSelect = `select count() as n, sum(data.v) as total, avg(data.v) as mean, min(data.v) as lo, max(data.v) as hi,
first(data.v) as first_v, last(data.v) as last_v, p50(data.v) as p50, p95(data.v) as p95, p99(data.v) as p99,
percentile(data.v, 99.9) as p999, count_distinct(data.user) as distinct_users`

// TestTumblingAndSlidingMatchReference: every window and aggregate against brute force, on event time with
// out-of-order events, some later than the allowed lateness.
func TestTumblingAndSlidingMatchReference(t *testing.T) {
	for _, c := range []struct {
		name                  string
		window                string
		size, slide, lateness time.Duration
		disorder              time.Duration
	}{
		{"tumbling in order", "tumbling 10s", 10 * time.Second, 10 * time.Second, 0, 0},
		{"tumbling out of order within lateness", "tumbling 10s on data.ts lateness 8s", 10 * time.Second, 10 * time.Second, 8 * time.Second, 6 * time.Second},
		{"tumbling with late events", "tumbling 5s on data.ts lateness 1s", 5 * time.Second, 5 * time.Second, time.Second, 12 * time.Second},
		{"sliding with late events", "sliding 20s every 5s on data.ts lateness 2s", 20 * time.Second, 5 * time.Second, 2 * time.Second, 40 * time.Second},
		{"hopping in order", "hopping 30s every 10s on data.ts", 30 * time.Second, 10 * time.Second, 0, 0},
		{"sliding size not a multiple of the slide", "sliding 25s every 10s on data.ts lateness 3s", 25 * time.Second, 10 * time.Second, 3 * time.Second, 2 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			evs := genEvents(rng, 4000, 3*time.Minute, c.disorder, 7)
			text := "from s group by data.user as user window " + c.window + "\n" + aggSelect
			if !strings.Contains(c.window, " on ") { // arrival order is event order here: use the time as event time
				text = strings.Replace(text, c.window, c.window+" on data.ts", 1)
			}
			rows, p, stats := runQuery(t, text, evs, 50)
			ref, late := refWindows(evs, c.size, c.slide, c.lateness, 50)
			checkAggregates(t, c.name, rows, p, ref)
			if int(stats.Late) != late {
				t.Fatalf("late %d, reference %d", stats.Late, late)
			}
			if c.disorder > c.lateness && late == 0 {
				t.Fatal("the case meant to have late events has none")
			}
		})
	}
}

// TestSessionsMatchReference: sessions per user split where events are more than the gap apart, with events out
// of order (none late), including ones that bridge two sessions into one.
func TestSessionsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var evs []event
	for i := range 3000 { // bursts with pauses, per user
		burst := time.Duration(i/100) * 40 * time.Second
		evs = append(evs, event{t: epoch.Add(burst + time.Duration(rng.IntN(15000))*time.Millisecond),
			user: fmt.Sprintf("u%d", rng.IntN(4)), v: float64(rng.IntN(500)), order: i})
	}
	gap := 5 * time.Second
	text := "from s group by data.user as user window session 5s on data.ts lateness 40s\n" + aggSelect
	rows, p, stats := runQuery(t, text, evs, 40)
	if stats.Late != 0 {
		t.Fatalf("%d late", stats.Late)
	}
	// reference: per user, sorted by time, split where the next event is more than gap after the last
	byUser := map[string][]event{}
	var maxEvent time.Time
	for _, e := range evs {
		byUser[e.user] = append(byUser[e.user], e)
		if e.t.After(maxEvent) {
			maxEvent = e.t
		}
	}
	ref := map[string][]event{}
	for user, list := range byUser {
		sorted := slices.Clone(list)
		slices.SortStableFunc(sorted, func(a, b event) int { return a.t.Compare(b.t) })
		var cur []event
		flush := func() {
			if len(cur) > 0 && !cur[len(cur)-1].t.Add(gap).After(maxEvent) {
				ref[cur[0].t.Format(time.RFC3339Nano)+"|"+user] = cur
			}
			cur = nil
		}
		for _, e := range sorted {
			if len(cur) > 0 && e.t.After(cur[len(cur)-1].t.Add(gap)) {
				flush()
			}
			cur = append(cur, e)
		}
		flush()
	}
	checkAggregates(t, "sessions", rows, p, ref)
}

// TestDistinctAndTopK: approximate distinct counts within their stated error, top-k exact while the keys fit.
func TestDistinctAndTopK(t *testing.T) {
	var evs []event
	for i := range 20000 {
		evs = append(evs, event{t: epoch.Add(time.Duration(i) * time.Millisecond), user: fmt.Sprintf("u%d", i%3),
			v: float64(i % 5000), order: i})
	}
	text := `from s window tumbling 1m on data.ts select count_distinct(data.v) as d, topk(data.user, 2) as top`
	rows, _, _ := runQuery(t, text, evs, 500)
	if len(rows) != 0 { // 20 s of events: the one-minute window has not ended
		t.Fatalf("%d rows before the window ended", len(rows))
	}
	text = `from s window tumbling 10s on data.ts select count_distinct(data.v) as d, topk(data.user, 2) as top`
	rows, p, _ := runQuery(t, text, evs, 500)
	for k, r := range rows {
		d, _ := number(col(p, r, "d"))
		if !approx(d, 5000, 3*DistinctError) {
			t.Fatalf("%s: %v distinct, want 5000 ± %.1f %%", k, d, 300*DistinctError)
		}
		top := col(p, r, "top").([]TopEntry)
		if len(top) != 2 || top[0].Count+top[1].Count < 6666 {
			t.Fatalf("%s: top %v", k, top)
		}
	}
	if len(rows) != 1 {
		t.Fatalf("%d windows, want the one 10 s window that ended by the newest event", len(rows))
	}
}

// TestFailingRecordsAreCountedAndSkipped: a record an expression fails on (a nil member, text summed) is an
// error, and the query goes on with the others.
func TestFailingRecordsAreCountedAndSkipped(t *testing.T) {
	p, err := Compile(`from s window tumbling 1s select count() as n, sum(data.x.y) as s`)
	if err != nil {
		t.Fatal(err)
	}
	q := newQuery(p)
	good := recordexpr.NewRecord([]byte(`{"x":{"y":2}}`), "k", "1", "shardId-0", epoch)
	missing := recordexpr.NewRecord([]byte(`{"z":1}`), "k", "2", "shardId-0", epoch)
	text := recordexpr.NewRecord([]byte(`{"x":{"y":"two"}}`), "k", "3", "shardId-0", epoch)
	var ins []input
	errs := 0
	var run recordexpr.Runner
	var arena evalArena
	for _, r := range []recordexpr.Record{good, missing, text, good} {
		run.Bind(&r)
		in, ok, err := p.eval(&run, &r, &arena)
		if err != nil {
			errs++
			continue
		}
		if ok {
			ins = append(ins, in)
		}
	}
	q.add(nil, ins, epoch)
	rows, _ := q.advance(epoch.Add(time.Hour))
	stats := q.snapshot(epoch)
	if errs+int(stats.Errors) != 2 || len(rows) != 1 {
		t.Fatalf("errors %d+%d, rows %v", errs, stats.Errors, rows)
	}
	if n, s := col(p, rows[0], "n"), col(p, rows[0], "s"); n != int64(2) || s != 4.0 {
		t.Fatalf("n %v s %v: the failing records should be left out", n, s)
	}
}
