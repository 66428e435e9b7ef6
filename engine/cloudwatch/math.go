package cloudwatch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Metric math (GetMetricData's Expression): numbers, query ids, + - * / and parentheses, METRICS() and
// METRICS("text") (the MetricStat queries, all or those whose id or label holds text), [a, b] arrays, and SUM,
// AVG, MIN, MAX: of an array, a series of the per-timestamp aggregate; of one series, its single value. Series
// combine timestamp by timestamp; a timestamp missing from one side is left out, as CloudWatch does.

// value is an expression's result: a scalar, a series or an array of series.
type value struct {
	scalar *float64
	series *series
	array  []*series
}

type series struct {
	id, label string
	times     []time.Time
	values    []float64
}

func (s *series) at() map[int64]float64 {
	m := make(map[int64]float64, len(s.times))
	for i, t := range s.times {
		m[t.Unix()] = s.values[i]
	}
	return m
}

type mathEnv struct {
	queries map[string]*series // results of queries computed so far, by id
	stats   []*series          // the MetricStat queries, in order
}

type parser struct {
	src string
	pos int
	env *mathEnv
}

func evalExpression(expr string, env *mathEnv) (value, error) {
	p := &parser{src: expr, env: env}
	v, err := p.sum()
	if err != nil {
		return value{}, err
	}
	p.space()
	if p.pos < len(p.src) {
		return value{}, p.fail("unexpected %q", p.src[p.pos:])
	}
	return v, nil
}

func (p *parser) fail(format string, a ...any) error {
	return invalid("Error in expression %q at character %d: %s.", p.src, p.pos+1, fmt.Sprintf(format, a...))
}

func (p *parser) space() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *parser) peek() byte {
	p.space()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) sum() (value, error) {
	l, err := p.product()
	for err == nil {
		op := p.peek()
		if op != '+' && op != '-' {
			return l, nil
		}
		p.pos++
		var r value
		if r, err = p.product(); err == nil {
			l, err = combine(l, r, op)
		}
	}
	return l, err
}

func (p *parser) product() (value, error) {
	l, err := p.unary()
	for err == nil {
		op := p.peek()
		if op != '*' && op != '/' {
			return l, nil
		}
		p.pos++
		var r value
		if r, err = p.unary(); err == nil {
			l, err = combine(l, r, op)
		}
	}
	return l, err
}

func (p *parser) unary() (value, error) {
	if p.peek() == '-' {
		p.pos++
		v, err := p.unary()
		if err != nil {
			return v, err
		}
		minus := -1.0
		return combine(value{scalar: &minus}, v, '*')
	}
	return p.primary()
}

func (p *parser) primary() (value, error) {
	c := p.peek()
	switch {
	case c == '(':
		p.pos++
		v, err := p.sum()
		if err == nil && p.peek() != ')' {
			err = p.fail("a ( is not closed")
		}
		p.pos++
		return v, err
	case c == '[':
		p.pos++
		var arr []*series
		for {
			v, err := p.sum()
			if err != nil {
				return v, err
			}
			if v.series == nil {
				return v, p.fail("an array holds time series")
			}
			arr = append(arr, v.series)
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() != ']' {
				return value{}, p.fail("a [ is not closed")
			}
			p.pos++
			return value{array: arr}, nil
		}
	case c >= '0' && c <= '9' || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return value{}, p.fail("%q is not a number", p.src[start:p.pos])
		}
		return value{scalar: &f}, nil
	case unicode.IsLetter(rune(c)):
		start := p.pos
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_') {
			p.pos++
		}
		name := p.src[start:p.pos]
		if p.peek() == '(' {
			return p.call(name)
		}
		s, ok := p.env.queries[name]
		if !ok {
			p.pos = start
			return value{}, p.fail("%s is not the id of a query before it", name)
		}
		return value{series: s}, nil
	}
	return value{}, p.fail("expected a number, a query id, a function or (")
}

func (p *parser) call(name string) (value, error) {
	p.pos++ // (
	if strings.ToUpper(name) == "METRICS" {
		filter := ""
		if p.peek() == '"' {
			end := strings.IndexByte(p.src[p.pos+1:], '"')
			if end < 0 {
				return value{}, p.fail("a string is not closed")
			}
			filter = p.src[p.pos+1 : p.pos+1+end]
			p.pos += end + 2
		}
		if p.peek() != ')' {
			return value{}, p.fail("METRICS takes at most a string")
		}
		p.pos++
		var arr []*series
		for _, s := range p.env.stats {
			if filter == "" || strings.Contains(s.id, filter) || strings.Contains(s.label, filter) {
				arr = append(arr, s)
			}
		}
		return value{array: arr}, nil
	}
	arg, err := p.sum()
	if err != nil {
		return arg, err
	}
	if p.peek() != ')' {
		return value{}, p.fail("%s takes one argument", name)
	}
	p.pos++
	agg, ok := aggregates[strings.ToUpper(name)]
	if !ok {
		return value{}, p.fail("%s is not a function here (SUM, AVG, MIN, MAX, METRICS)", name)
	}
	switch {
	case arg.array != nil:
		return value{series: acrossSeries(arg.array, agg)}, nil
	case arg.series != nil:
		if len(arg.series.values) == 0 {
			return value{series: &series{}}, nil
		}
		v := agg(arg.series.values)
		return value{scalar: &v}, nil
	}
	return arg, nil
}

var aggregates = map[string]func([]float64) float64{
	"SUM": func(vs []float64) float64 {
		t := 0.0
		for _, v := range vs {
			t += v
		}
		return t
	},
	"AVG": func(vs []float64) float64 {
		t := 0.0
		for _, v := range vs {
			t += v
		}
		return t / float64(len(vs))
	},
	"MIN": func(vs []float64) float64 {
		m := vs[0]
		for _, v := range vs {
			m = min(m, v)
		}
		return m
	},
	"MAX": func(vs []float64) float64 {
		m := vs[0]
		for _, v := range vs {
			m = max(m, v)
		}
		return m
	},
}

// acrossSeries aggregates an array timestamp by timestamp (over the series that have the timestamp).
func acrossSeries(arr []*series, agg func([]float64) float64) *series {
	byTime := map[int64][]float64{}
	var order []int64
	for _, s := range arr {
		for i, t := range s.times {
			k := t.Unix()
			if _, seen := byTime[k]; !seen {
				order = append(order, k)
			}
			byTime[k] = append(byTime[k], s.values[i])
		}
	}
	slices.Sort(order)
	out := &series{}
	for _, k := range order {
		out.times = append(out.times, time.Unix(k, 0).UTC())
		out.values = append(out.values, agg(byTime[k]))
	}
	return out
}

func apply(a, b float64, op byte) float64 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	}
	return a / b
}

func combine(l, r value, op byte) (value, error) {
	switch {
	case l.array != nil || r.array != nil:
		return value{}, invalid("Arithmetic on an array of time series is not supported; aggregate it first (SUM(METRICS())).")
	case l.scalar != nil && r.scalar != nil:
		v := apply(*l.scalar, *r.scalar, op)
		return value{scalar: &v}, nil
	case l.scalar != nil:
		out := &series{times: r.series.times}
		for _, v := range r.series.values {
			out.values = append(out.values, apply(*l.scalar, v, op))
		}
		return value{series: out}, nil
	case r.scalar != nil:
		out := &series{times: l.series.times}
		for _, v := range l.series.values {
			out.values = append(out.values, apply(v, *r.scalar, op))
		}
		return value{series: out}, nil
	}
	right := r.series.at()
	out := &series{}
	for i, t := range l.series.times {
		if rv, ok := right[t.Unix()]; ok {
			out.times = append(out.times, t)
			out.values = append(out.values, apply(l.series.values[i], rv, op))
		}
	}
	return value{series: out}, nil
}
