package analytics

import (
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/shardlab/shardlab/engine/recordexpr"
)

// plan is a query compiled: every expression once, ready to run per record and per row.
type plan struct {
	q         Query
	parse     func(data []byte, r *recordexpr.Record)
	where     *recordexpr.Filter
	keys      []*recordexpr.Value
	keyNames  []string
	eventTime *recordexpr.Value
	args      []*recordexpr.Value // the aggregates' arguments
	aggs      []aggSpec
	// items are the select items: over a row (window, keys, aggregates) in an aggregate query, else per record.
	items      []*vm.Program
	plainItems []*recordexpr.Value
	names      []string
	columns    []string // an output row's columns, in order
	having     *vm.Program
	intoKey    *vm.Program
	aggregate  bool
}

// Compile parses and compiles a query; errors name their line and column in the text.
func Compile(text string) (*plan, error) {
	q, err := ParseQuery(text)
	if err != nil {
		return nil, err
	}
	return compile(q)
}

func compile(q Query) (*plan, error) {
	p := &plan{q: q}
	fail := func(part Part, err error) error { return exprError(q.Text, part, err) }
	var err error
	if p.parse, err = recordParser(q.Parser); err != nil {
		return nil, errorAt(q.Text, strings.Index(q.Text, "parse"), "%v", err)
	}
	if q.Where.Expr != "" {
		if p.where, err = recordexpr.CompileFilter(q.Where.Expr); err != nil {
			return nil, fail(q.Where, err)
		}
	}
	for _, k := range q.GroupBy {
		v, err := recordexpr.CompileValue(k.Expr)
		if err != nil {
			return nil, fail(k.Part, err)
		}
		p.keys, p.keyNames = append(p.keys, v), append(p.keyNames, k.Name)
	}
	if q.Window.On.Expr != "" {
		if p.eventTime, err = recordexpr.CompileValue(q.Window.On.Expr); err != nil {
			return nil, fail(q.Window.On, err)
		}
	}
	rewritten := make([]string, len(q.Select))
	for i, item := range q.Select {
		src, calls, err := rewriteAggregates(q.Text, item.Part, len(p.aggs))
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			spec := aggSpec{fn: c.fn, arg: -1}
			if len(c.args) > 0 {
				v, err := recordexpr.CompileValue(c.args[0].Expr)
				if err != nil {
					return nil, fail(c.args[0], err)
				}
				spec.arg = len(p.args)
				p.args = append(p.args, v)
			}
			if len(c.args) == 2 {
				param, err := strconv.ParseFloat(strings.TrimSpace(c.args[1].Expr), 64)
				switch {
				case err != nil:
					return nil, errorAt(q.Text, c.args[1].At, "%s's second argument must be a number", c.fn)
				case c.fn == "percentile" && (param <= 0 || param >= 100):
					return nil, errorAt(q.Text, c.args[1].At, "a percentile is between 0 and 100 (exclusive), e.g. 99.9")
				case c.fn == "topk" && (param < 1 || param > 100 || param != float64(int(param))):
					return nil, errorAt(q.Text, c.args[1].At, "topk's k is a whole number from 1 to 100")
				}
				if c.fn == "percentile" {
					param /= 100
				}
				spec.param = param
			}
			if f := aggFuncs[c.fn]; f.quantile > 0 {
				spec.param = f.quantile
			}
			p.aggs = append(p.aggs, spec)
		}
		rewritten[i] = src
		if item.Name == "window_start" || item.Name == "window_end" || (slices.Contains(p.keyNames, item.Name) &&
			!slices.Contains(p.keyNames, strings.TrimSpace(item.Expr))) {
			return nil, errorAt(q.Text, item.At, "%s is already a column (a group key or the window's): name this item otherwise with as", item.Name)
		}
		p.names = append(p.names, item.Name)
	}
	p.aggregate = len(p.aggs) > 0
	switch {
	case p.aggregate && q.Window.Kind == "":
		return nil, errorAt(q.Text, q.Select[0].At, "aggregates need a window: add e.g. window tumbling 10s")
	case !p.aggregate && q.Window.Kind != "":
		return nil, errorAt(q.Text, q.Select[0].At, "a windowed query selects aggregates, e.g. count() or avg(data.ms)")
	case !p.aggregate && len(q.GroupBy) > 0:
		return nil, errorAt(q.Text, q.GroupBy[0].At, "group by needs aggregates in select, e.g. count()")
	case !p.aggregate && q.Having.Expr != "":
		return nil, errorAt(q.Text, q.Having.At, "having filters aggregated rows: it needs aggregates in select")
	}
	rowNames := append([]string{"window_start", "window_end"}, p.keyNames...)
	for i := range p.aggs {
		rowNames = append(rowNames, aggVar(i))
	}
	for i, item := range q.Select {
		if !p.aggregate {
			v, err := recordexpr.CompileValue(item.Expr)
			if err != nil {
				return nil, fail(item.Part, err)
			}
			p.plainItems = append(p.plainItems, v)
			continue
		}
		prog, err := compileRow(rewritten[i], rowNames, false)
		if err != nil {
			return nil, errorAt(q.Text, item.At, "%s", firstLine(err))
		}
		p.items = append(p.items, prog)
	}
	if p.aggregate {
		p.columns = append([]string{"window_start", "window_end"}, p.keyNames...)
	}
	for _, n := range p.names {
		if !contains(p.columns, n) {
			p.columns = append(p.columns, n)
		}
	}
	outNames := slices.Clone(rowNames)
	for _, c := range p.columns {
		if !slices.Contains(outNames, c) {
			outNames = append(outNames, c)
		}
	}
	if q.Having.Expr != "" {
		if p.having, err = compileRow(q.Having.Expr, outNames, true); err != nil {
			return nil, fail(q.Having, err)
		}
	}
	if q.IntoKey.Expr != "" {
		if p.intoKey, err = compileRow(q.IntoKey.Expr, p.columns, false); err != nil {
			return nil, fail(q.IntoKey, err)
		}
	}
	return p, nil
}

// compileRow compiles an expression over an output row. A row's values have no static types (a key may be text or
// a number), so the names are checked here and typed at run time.
func compileRow(src string, names []string, asBool bool) (*vm.Program, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, err
	}
	callees := map[ast.Node]bool{}
	var unknown *ast.IdentifierNode
	ast.Find(tree.Node, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallNode); ok {
			callees[c.Callee] = true
		}
		if id, ok := n.(*ast.IdentifierNode); ok && !callees[n] && !slices.Contains(names, id.Value) && unknown == nil {
			unknown = id
		}
		return false
	})
	if unknown != nil {
		var shown []string
		for _, n := range names {
			if !strings.HasPrefix(n, "_agg") {
				shown = append(shown, n)
			}
		}
		runes := []rune(src)
		before := string(runes[:min(unknown.Location().From, len(runes))])
		line := strings.Count(before, "\n") + 1
		col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
		return nil, fmt.Errorf("unknown name %s; a row has %s (%d:%d)", unknown.Value, strings.Join(shown, ", "), line, col)
	}
	opts := []expr.Option{expr.AllowUndefinedVariables()}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	return expr.Compile(src, opts...)
}

func aggVar(i int) string { return "_agg" + strconv.Itoa(i) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// exprError places an expression's compile error in the query's text.
func exprError(text string, part Part, err error) error {
	var re *recordexpr.Error
	if errors.As(err, &re) {
		return errorAt(text, part.At+offsetOf(part.Expr, re.Line, re.Column), "%s", re.Message)
	}
	// expr's own errors (the row expressions) carry their place in their text: "… (1:7)".
	var line, col int
	msg := firstLine(err)
	if i := strings.LastIndex(msg, " ("); i >= 0 {
		if _, serr := fmt.Sscanf(msg[i:], " (%d:%d)", &line, &col); serr == nil {
			return errorAt(text, part.At+offsetOf(part.Expr, line, col-1), "%s", msg[:i])
		}
	}
	return errorAt(text, part.At, "%s", msg)
}

// offsetOf is the byte offset of a 1-based line and 0-based rune column in src.
func offsetOf(src string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	for n := 0; n < col && off < len(src); n++ {
		_, size := utf8.DecodeRuneInString(src[off:])
		off += size
	}
	return off
}

// aggCall is an aggregate call found in a select item.
type aggCall struct {
	fn   string
	args []Part
}

// rewriteAggregates replaces each aggregate call of an item with a variable (_agg0, _agg1, … in the order of the
// whole query, after base earlier ones) and returns the calls; what is left is an expression of the row.
func rewriteAggregates(text string, item Part, base int) (string, []aggCall, error) {
	src := item.Expr
	var out strings.Builder
	var calls []aggCall
	for i := 0; i < len(src); {
		c := src[i]
		if c == '"' || c == '\'' || c == '`' {
			end := min(skipString(src, i)+1, len(src))
			out.WriteString(src[i:end])
			i = end
			continue
		}
		if isIdentStart(c) && (i == 0 || !isIdentByte(src[i-1]) && src[i-1] != '.') {
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			word := src[i:j]
			k := skipSpace(src, j)
			if f, ok := aggFuncs[strings.ToLower(word)]; ok && k < len(src) && src[k] == '(' {
				closeAt := matchParen(src, k)
				if closeAt < 0 {
					return "", nil, errorAt(text, item.At+k, "( without its )")
				}
				pieces, offsets := splitTopLevel(src[k+1 : closeAt])
				var args []Part
				for n, piece := range pieces {
					if strings.TrimSpace(piece) == "" {
						continue
					}
					lead := len(piece) - len(strings.TrimLeft(piece, " \t\n"))
					args = append(args, Part{strings.TrimSpace(piece), item.At + k + 1 + offsets[n] + lead})
				}
				name := strings.ToLower(word)
				if want := f.args; len(args) != want && !(name == "count" && len(args) == 0) {
					return "", nil, errorAt(text, item.At+i, "%s takes %d argument%s, got %d", name, want, plural(want), len(args))
				}
				calls = append(calls, aggCall{name, args})
				out.WriteString(aggVar(base + len(calls) - 1))
				i = closeAt + 1
				continue
			}
			out.WriteString(word)
			i = j
			continue
		}
		out.WriteByte(c)
		i++
	}
	return out.String(), calls, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentByte(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// matchParen is the index of the ) closing the ( at i, or -1.
func matchParen(src string, i int) int {
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '"', '\'', '`':
			j = skipString(src, j)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// recordParser turns a record's bytes into the expressions' data.
func recordParser(p Parser) (func([]byte, *recordexpr.Record), error) {
	switch p.Kind {
	case "", ParseJSON:
		return nil, nil // recordexpr.NewRecord parses JSON itself
	case ParseCSV:
		cols := p.Columns
		return func(b []byte, r *recordexpr.Record) {
			rd := csv.NewReader(strings.NewReader(strings.TrimRight(string(b), "\r\n")))
			rd.FieldsPerRecord = -1
			fields, err := rd.Read()
			if err != nil {
				r.Data = string(b)
				return
			}
			m := make(map[string]any, len(cols))
			for i, c := range cols {
				if i < len(fields) {
					m[c] = typed(fields[i])
				}
			}
			r.Data = m
		}, nil
	case ParseRegex:
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, err
		}
		names := re.SubexpNames()
		return func(b []byte, r *recordexpr.Record) {
			m := re.FindSubmatch(b)
			if m == nil {
				r.Data = string(b) // a line the pattern does not match keeps its text
				return
			}
			out := make(map[string]any, len(names))
			for i, n := range names {
				if n != "" {
					out[n] = typed(string(m[i]))
				}
			}
			r.Data = out
		}, nil
	}
	return nil, fmt.Errorf("%q is not a parser", p.Kind)
}

// typed reads a text field as a whole number or a number when it is one, so that comparisons and sums work on
// CSV and log fields as on JSON.
func typed(s string) any {
	if i, err := strconv.Atoi(s); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnN") {
		return f
	}
	return s
}
