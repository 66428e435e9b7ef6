package analytics

import (
	"strings"
	"testing"
	"time"
)

func TestParseQueryParts(t *testing.T) {
	q, err := ParseQuery(`from clickstream where data.status >= 500 group by data.path, key as user
window sliding 1m every 10s on data.ts lateness 5s
select count() as errors, p95(data.latency_ms) as p95, avg(data.latency_ms)
having errors > 2 into errors-by-path key path`)
	if err != nil {
		t.Fatal(err)
	}
	if q.From != "clickstream" || q.Where.Expr != "data.status >= 500" || len(q.GroupBy) != 2 ||
		q.GroupBy[0].Name != "path" || q.GroupBy[1].Name != "user" || q.GroupBy[1].Expr != "key" {
		t.Fatalf("%+v", q)
	}
	w := q.Window
	if w.Kind != Sliding || w.Size != time.Minute || w.Slide != 10*time.Second || w.On.Expr != "data.ts" || w.Lateness != 5*time.Second {
		t.Fatalf("window %+v", w)
	}
	if len(q.Select) != 3 || q.Select[2].Name != "avg" || q.Having.Expr != "errors > 2" || q.Into != "errors-by-path" || q.IntoKey.Expr != "path" {
		t.Fatalf("%+v", q)
	}
	// stream names with clause words between hyphens, and a parser on the next line
	q, err = ParseQuery("from web-window-events parse csv\n \"a,b\" select data.a into my-key-stream key data.b")
	if err != nil || q.From != "web-window-events" || q.Into != "my-key-stream" || q.IntoKey.Expr != "data.b" || len(q.Parser.Columns) != 2 {
		t.Fatalf("%+v %v", q, err)
	}
	if _, err := Compile("from s window tumbling 1s select sum(data.a)-count() as d, 2*avg(data.b) as e"); err != nil {
		t.Fatalf("aggregates in arithmetic: %v", err)
	}
	// keywords inside strings and brackets are not clauses
	q, err = ParseQuery(`from s where data.msg == "select from where" && data["group by"] != nil select data.msg`)
	if err != nil || q.Where.Expr != `data.msg == "select from where" && data["group by"] != nil` {
		t.Fatalf("%q %v", q.Where.Expr, err)
	}
}

// TestQueryErrorsArePlaced: every kind of mistake names its line and column, and what is wrong.
func TestQueryErrorsArePlaced(t *testing.T) {
	for _, c := range []struct {
		text string
		line int
		col  int
		want string
	}{
		{"select count()", 1, 1, "starts with from"},
		{"from s", 1, 7, "needs select"},
		{"from s select", 1, 14, "select needs something"},
		{"from s select count() where x", 1, 23, "where comes before select"},
		{"from s where data.x > select data.x", 1, 21, "unexpected token"},
		{"from s window tumbling 10s select count() as n, sum(data.x as s", 1, 52, "( without its )"},
		{"from s window tumbling ten select count()", 1, 24, `"ten" is not a duration`},
		{"from s window sliding 10s every 1m select count()", 1, 23, "slide (1m0s) is longer"},
		{"from s window rolling 10s select count()", 1, 15, "not a window kind"},
		{"from s select count()", 1, 15, "aggregates need a window"},
		{"from s window tumbling 1s select data.x", 1, 34, "selects aggregates"},
		{"from s window tumbling 1s select count(), count()", 1, 43, "named count"},
		{"from s window tumbling 1s\nselect percentile(data.x, 120)", 2, 27, "between 0 and 100"},
		{"from s window tumbling 1s\nselect topk(data.x)", 2, 8, "topk takes 2 arguments"},
		{"from s window tumbling 1s\nselect sum(data.x +)", 2, 19, "unexpected"},
		{"from s parse regex \"(\" select data", 1, 20, "the pattern"},
		{"from s parse regex \"\\\\d+\" select data", 1, 20, "named groups"},
		{"from a b select data", 1, 6, "not a stream name"},
		{"from s window tumbling 1s select count() having n >", 1, 51, "unexpected"},
		{"from s window tumbling 1s select count() as n having nope > 1", 1, 54, "unknown name nope; a row has window_start, window_end, n"},
		{"from s window tumbling 1s select count() as n, nope + 1 as m", 1, 48, "unknown name nope"},
		{"from s group by data.a window tumbling 1s select count() as a", 1, 50, "a is already a column"},
		{"from s window tumbling 1s select count() as window_end", 1, 34, "window_end is already a column"},
	} {
		_, err := Compile(c.text)
		e, ok := err.(*Error)
		if !ok || e.Line != c.line || e.Column != c.col || !strings.Contains(e.Message, c.want) {
			t.Errorf("%q: got %v, want line %d, column %d: …%s…", c.text, err, c.line, c.col, c.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"from s where data.status >= 500 group by data.path window tumbling 10s select count() as errors, p95(data.latency_ms) as p95",
		"from s parse csv \"a,b\" window session 30s on data.ts select count(), first(data.a), topk(data.b, 3) having count > 1",
		"from s parse regex \"(?P<ip>\\\\S+) (?P<code>\\\\d+)\" select data.ip into out key data.ip",
		"from s window sliding 1m every 10s lateness 5s select count_distinct(key), percentile(data.x, 99.9)",
		"from s select (", "from", "", "from s select \"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Compile(text)
		if err != nil {
			var e *Error
			if e, _ = err.(*Error); e == nil || e.Line < 1 || e.Column < 1 {
				t.Fatalf("%q: an error without its place: %v", text, err)
			}
			return
		}
		if p.q.From == "" || len(p.names) == 0 {
			t.Fatalf("%q compiled without a source or a select", text)
		}
	})
}
