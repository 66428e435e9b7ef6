// Package analytics runs continuous queries over a stream, the local stand-in for Kinesis Data Analytics: a filter,
// a group by, a window (tumbling, sliding, session; on arrival or event time) and aggregates (count, sum, min,
// max, avg, approximate distinct counts, percentiles, first, last, top-k), all expr-lang expressions over the
// record, compiled once. Queries are written as one readable text:
//
//	from clickstream where data.status >= 500 group by data.path window tumbling 10s
//	select count() as errors, p95(data.latency_ms) as p95
package analytics

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Query is a query's text in parts. Offsets (…At) are byte offsets of each part in Text, for errors.
type Query struct {
	Text    string
	From    string
	Parser  Parser
	Where   Part
	GroupBy []Named
	Window  Window
	Select  []Named
	Having  Part
	Into    string // an output stream, or ""
	IntoKey Part   // the output records' partition key, an expression of the row
}

// Part is an expression and where it starts in the text.
type Part struct {
	Expr string
	At   int
}

// Named is an expression with the name its value takes in the output rows.
type Named struct {
	Part
	Name string
}

// Parser kinds: how a record's bytes become the expressions' data.
const (
	ParseJSON  = "json"  // the default: data is the parsed JSON, or the text when it does not parse
	ParseCSV   = "csv"   // data is an object of the given columns, from one CSV line
	ParseRegex = "regex" // data is an object of the pattern's named groups (a log line, say)
)

// Parser reads a record's bytes.
type Parser struct {
	Kind    string
	Columns []string // csv
	Pattern string   // regex
}

// Window kinds.
const (
	Tumbling = "tumbling"
	Sliding  = "sliding" // also written "hopping"
	Session  = "session"
)

// Window is how records are grouped in time. With no On expression, a record's time is its arrival time.
type Window struct {
	Kind     string
	Size     time.Duration // tumbling and sliding
	Slide    time.Duration // sliding
	Gap      time.Duration // session
	On       Part          // event time: an expression giving a time, an RFC 3339 text or Unix milliseconds
	Lateness time.Duration // how late (behind the newest event time) a record may come and still count
}

// Error is a query error with its place: Line and Column count from 1.
type Error struct {
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// errorAt makes an Error at a byte offset of text.
func errorAt(text string, offset int, format string, args ...any) *Error {
	offset = max(0, min(offset, len(text)))
	line := strings.Count(text[:offset], "\n") + 1
	col := offset - (strings.LastIndex(text[:offset], "\n") + 1)
	return &Error{Line: line, Column: len([]rune(text[offset-col:offset])) + 1, Message: fmt.Sprintf(format, args...)}
}

// clauses in the order a query writes them.
var clauses = []string{"from", "parse", "where", "group by", "window", "select", "having", "into"}

// ParseQuery reads a query's text. Errors name the line and column.
func ParseQuery(text string) (Query, error) {
	q := Query{Text: text, Parser: Parser{Kind: ParseJSON}}
	found := splitClauses(text, clauses)
	if len(found) == 0 || found[0].word != "from" || strings.TrimSpace(text[:found[0].at]) != "" {
		return q, errorAt(text, skipSpace(text, 0), "a query starts with from STREAM")
	}
	last := -1
	seen := map[string]bool{}
	for i, c := range found {
		order := indexOf(clauses, c.word)
		if seen[c.word] {
			return q, errorAt(text, c.at, "%s appears twice", c.word)
		}
		if order < last {
			return q, errorAt(text, c.at, "%s comes before %s", c.word, clauses[last])
		}
		seen[c.word], last = true, order
		end := len(text)
		if i+1 < len(found) {
			end = found[i+1].at
		}
		bodyAt := c.at + len(c.word)
		if c.word == "group by" {
			bodyAt = c.bodyAt
		}
		body := text[bodyAt:end]
		if strings.TrimSpace(body) == "" {
			return q, errorAt(text, bodyAt, "%s needs something after it", c.word)
		}
		at := bodyAt + (len(body) - len(strings.TrimLeftFunc(body, unicode.IsSpace)))
		body = strings.TrimSpace(body)
		var err error
		switch c.word {
		case "from":
			q.From, err = name(text, body, at, "a stream name")
		case "parse":
			q.Parser, err = parseParser(text, body, at)
		case "where":
			q.Where = Part{body, at}
		case "group by":
			q.GroupBy, err = namedList(text, body, at, "group by")
		case "window":
			q.Window, err = parseWindow(text, body, at)
		case "select":
			q.Select, err = namedList(text, body, at, "select")
		case "having":
			q.Having = Part{body, at}
		case "into":
			stream, key := body, ""
			keyAt := 0
			if k := findWord(body, "key"); k >= 0 {
				stream, key = strings.TrimSpace(body[:k]), strings.TrimSpace(body[k+3:])
				keyAt = at + k + 3 + (len(body[k+3:]) - len(strings.TrimLeftFunc(body[k+3:], unicode.IsSpace)))
				if key == "" {
					return q, errorAt(text, at+k, "key needs an expression")
				}
			}
			q.Into, err = name(text, stream, at, "an output stream name")
			q.IntoKey = Part{key, keyAt}
		}
		if err != nil {
			return q, err
		}
	}
	if !seen["select"] {
		return q, errorAt(text, len(strings.TrimRightFunc(text, unicode.IsSpace)), "a query needs select")
	}
	return q, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func skipSpace(text string, i int) int {
	for i < len(text) && unicode.IsSpace(rune(text[i])) {
		i++
	}
	return i
}

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

func name(text, s string, at int, what string) (string, error) {
	if !namePattern.MatchString(s) {
		return "", errorAt(text, at, "%q is not %s (letters, digits, '_', '.', '-')", s, what)
	}
	return s, nil
}

type clause struct {
	word   string
	at     int // where the keyword starts
	bodyAt int // where what follows it starts
}

// splitClauses finds the clause keywords outside strings and brackets, at word boundaries.
func splitClauses(text string, words []string) []clause {
	var out []clause
	scanTopLevel(text, func(i int) bool {
		for _, w := range words {
			if w == "group by" {
				if matchWord(text, i, "group") {
					j := skipSpace(text, i+5)
					if j > i+5 && matchWord(text, j, "by") {
						out = append(out, clause{w, i, j + 2})
						return true
					}
				}
				continue
			}
			if matchWord(text, i, w) {
				out = append(out, clause{word: w, at: i})
				return true
			}
		}
		return false
	})
	return out
}

// scanTopLevel calls visit at each byte outside string literals and brackets; visit reports whether it consumed a
// keyword there (the scan then skips past the word).
func scanTopLevel(text string, visit func(i int) bool) {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '"', '\'', '`':
			i = skipString(text, i)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth = max(0, depth-1)
		default:
			if depth == 0 && (i == 0 || !isWordByte(text[i-1])) && visit(i) {
				for i+1 < len(text) && isWordByte(text[i+1]) {
					i++
				}
			}
		}
	}
}

// skipString returns the index of the closing quote of the literal opening at i (or the end).
func skipString(text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		if text[j] == '\\' && q != '`' {
			j++
			continue
		}
		if text[j] == q {
			return j
		}
	}
	return len(text)
}

// isWordByte: letters, digits, '_' and '.', and '-', which stream names use ("web-window-events" holds no
// clause).
func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// matchWord reports whether word (case-insensitive) stands at i as a whole word.
func matchWord(text string, i int, word string) bool {
	end := i + len(word)
	if end > len(text) || !strings.EqualFold(text[i:end], word) {
		return false
	}
	return (i == 0 || !isWordByte(text[i-1])) && (end == len(text) || !isWordByte(text[end]))
}

// findWord is the offset of word as a whole word outside strings and brackets, or -1.
func findWord(text, word string) int {
	at := -1
	scanTopLevel(text, func(i int) bool {
		if at < 0 && matchWord(text, i, word) {
			at = i
			return true
		}
		return false
	})
	return at
}

// splitTopLevel splits at commas outside strings and brackets, with each piece's offset.
func splitTopLevel(text string) (pieces []string, offsets []int) {
	start, depth := 0, 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '"', '\'', '`':
			i = skipString(text, i)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth = max(0, depth-1)
		case ',':
			if depth == 0 {
				pieces, offsets = append(pieces, text[start:i]), append(offsets, start)
				start = i + 1
			}
		}
	}
	return append(pieces, text[start:]), append(offsets, start)
}

var identPattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// namedList reads "EXPR [as NAME], …"; a name defaults to the expression's last member (data.path: path) or, for a
// call, its function's name (count() : count).
func namedList(text, body string, at int, clauseName string) ([]Named, error) {
	pieces, offsets := splitTopLevel(body)
	var out []Named
	names := map[string]bool{}
	for i, p := range pieces {
		pAt := at + offsets[i] + (len(p) - len(strings.TrimLeftFunc(p, unicode.IsSpace)))
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, errorAt(text, pAt, "an empty item in %s", clauseName)
		}
		expr, alias := p, ""
		if k := lastWord(p, "as"); k >= 0 {
			expr, alias = strings.TrimSpace(p[:k]), strings.TrimSpace(p[k+2:])
			if !identPattern.MatchString(alias) {
				return nil, errorAt(text, pAt+k+2, "%q is not a name (letters, digits, '_')", alias)
			}
		}
		if alias == "" {
			alias = defaultName(expr, i)
		}
		if names[alias] {
			return nil, errorAt(text, pAt, "two items are named %s: name one with as", alias)
		}
		names[alias] = true
		out = append(out, Named{Part{expr, pAt}, alias})
	}
	return out, nil
}

// lastWord is the offset of the last top-level whole word in text, or -1.
func lastWord(text, word string) int {
	at := -1
	scanTopLevel(text, func(i int) bool {
		if matchWord(text, i, word) {
			at = i
			return true
		}
		return false
	})
	return at
}

var lastMember = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(\(\s*.*\))?\s*$`)

func defaultName(expr string, i int) string {
	if m := lastMember.FindStringSubmatch(expr); m != nil && !strings.ContainsAny(strings.TrimSuffix(expr, m[0]), "+-*/%<>=!&|?:") {
		return m[1]
	}
	return fmt.Sprintf("col%d", i+1)
}

func parseParser(text, body string, at int) (Parser, error) {
	kind := strings.Fields(body)[0]
	rest := strings.TrimSpace(body[len(kind):])
	arg := func() (string, error) {
		s, err := strconv.Unquote(rest)
		if err != nil {
			return "", errorAt(text, at+len(kind)+1, "parse %s needs a quoted argument, e.g. %s", kind, map[string]string{
				ParseCSV: `parse csv "ts,level,path,status"`, ParseRegex: `parse regex "(?P<ip>\\S+) (?P<status>\\d+)"`}[kind])
		}
		return s, nil
	}
	switch strings.ToLower(kind) {
	case ParseJSON:
		if rest != "" {
			return Parser{}, errorAt(text, at, "parse json takes nothing after it")
		}
		return Parser{Kind: ParseJSON}, nil
	case ParseCSV:
		s, err := arg()
		if err != nil {
			return Parser{}, err
		}
		var cols []string
		for c := range strings.SplitSeq(s, ",") {
			if c = strings.TrimSpace(c); c == "" {
				return Parser{}, errorAt(text, at, "an empty CSV column name")
			}
			cols = append(cols, c)
		}
		return Parser{Kind: ParseCSV, Columns: cols}, nil
	case ParseRegex:
		s, err := arg()
		if err != nil {
			return Parser{}, err
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return Parser{}, errorAt(text, at+len(kind)+1, "the pattern: %v", err)
		}
		if len(re.SubexpNames()) < 2 || slicesAllEmpty(re.SubexpNames()[1:]) {
			return Parser{}, errorAt(text, at+len(kind)+1, "the pattern needs named groups, (?P<name>…)")
		}
		return Parser{Kind: ParseRegex, Pattern: s}, nil
	}
	return Parser{}, errorAt(text, at, "%q is not a parser (json, csv, regex)", kind)
}

func slicesAllEmpty(names []string) bool {
	for _, n := range names {
		if n != "" {
			return false
		}
	}
	return true
}

func parseWindow(text, body string, at int) (Window, error) {
	w := Window{}
	rest, restAt := body, at
	if k := findWord(rest, "lateness"); k >= 0 {
		d, err := duration(text, strings.TrimSpace(rest[k+8:]), restAt+k+8)
		if err != nil {
			return w, err
		}
		w.Lateness = d
		rest = strings.TrimSpace(rest[:k])
	}
	if k := findWord(rest, "on"); k >= 0 {
		expr := rest[k+2:]
		w.On = Part{strings.TrimSpace(expr), restAt + k + 2 + (len(expr) - len(strings.TrimLeftFunc(expr, unicode.IsSpace)))}
		if w.On.Expr == "" {
			return w, errorAt(text, restAt+k, "on needs an expression giving the event time")
		}
		rest = strings.TrimSpace(rest[:k])
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return w, errorAt(text, at, "window needs a kind: tumbling, sliding, hopping or session")
	}
	w.Kind = strings.ToLower(fields[0])
	durAt := at + strings.Index(rest, fields[0]) + len(fields[0]) + 1
	var err error
	switch w.Kind {
	case Tumbling, Session:
		if len(fields) != 2 {
			return w, errorAt(text, durAt, "write window %s DURATION, e.g. window %s 10s", w.Kind, w.Kind)
		}
		d, derr := duration(text, fields[1], durAt)
		if w.Kind == Tumbling {
			w.Size = d
		} else {
			w.Gap = d
		}
		err = derr
	case Sliding, "hopping":
		w.Kind = Sliding
		if len(fields) != 4 || !strings.EqualFold(fields[2], "every") {
			return w, errorAt(text, durAt, "write window sliding SIZE every SLIDE, e.g. window sliding 1m every 10s")
		}
		if w.Size, err = duration(text, fields[1], durAt); err != nil {
			return w, err
		}
		if w.Slide, err = duration(text, fields[3], durAt); err != nil {
			return w, err
		}
		if w.Slide > w.Size {
			return w, errorAt(text, durAt, "the slide (%s) is longer than the window (%s)", w.Slide, w.Size)
		}
		if w.Size/w.Slide > maxWindowsPerRecord {
			return w, errorAt(text, durAt, "a record would fall in %d windows; at most %d (a longer slide)", w.Size/w.Slide, maxWindowsPerRecord)
		}
	default:
		return w, errorAt(text, at, "%q is not a window kind (tumbling, sliding, hopping, session)", fields[0])
	}
	return w, err
}

// maxWindowsPerRecord bounds a sliding window's size / slide: each record is added to that many windows.
const maxWindowsPerRecord = 60

func duration(text, s string, at int) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errorAt(text, at, "%q is not a duration such as 500ms, 10s, 5m or 1h", s)
	}
	if d < 10*time.Millisecond || d > 24*time.Hour {
		return 0, errorAt(text, at, "%s is outside 10ms–24h", d)
	}
	return d, nil
}
