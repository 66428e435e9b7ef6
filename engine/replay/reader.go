package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/internal/countio"
)

// Input formats a Reader understands.
const (
	FormatCapture = "capture" // Shardlab capture NDJSON: data, key and arrival time as they were
	FormatNDJSON  = "ndjson"  // one JSON document per line
	FormatCSV     = "csv"     // a header line, then one record per row (put as a JSON object of the row)
	FormatLines   = "lines"   // any text, one record per line
)

// MaxLine bounds one input line (Kinesis's default record limit).
const MaxLine = 1 << 20

// Item is one record read from an input, with where it came from.
type Item struct {
	Line int       // 1-based line number in the input
	Key  string    // partition key, when the input says (a capture, or the key field)
	Data []byte    // the record's data
	Time time.Time // when it happened, when the input says; zero otherwise
}

// Malformed is an input line that could not be read, with why; it is counted and listed, never silently skipped.
type Malformed struct {
	Line int
	Err  string
}

// ReaderOptions say how to read an input.
type ReaderOptions struct {
	Format    string // empty: detected from the content
	KeyField  string // take the partition key from this JSON member or CSV column
	TimeField string // take the time from this member or column (default: ts, timestamp, time, @timestamp)
}

// Reader reads items from a capture, NDJSON, CSV or log input, gzip-compressed or not.
type Reader struct {
	lineParser
	src      *countio.Reader
	sc       *bufio.Scanner
	line     int
	pending  []byte // the first line, read to detect the format
	bad      []Malformed
	badCount int
}

// maxMalformedKept bounds the malformed lines a Reader remembers, so a file of garbage cannot fill memory.
const maxMalformedKept = 1000

// maxInputLine bounds one input line: a capture line holds a record of up to 10 MiB as base64 (4/3 of it) plus
// its metadata. Lines of the other formats are records themselves and are held to MaxLine.
const maxInputLine = 10<<20*4/3 + 64<<10

// lineParser turns one line of a known format into an item (the folder watcher parses lines one by one too).
type lineParser struct {
	opts   ReaderOptions
	format string
	header []string // CSV only
}

// newLineParser parses lines of format; for CSV, header is the header line. An empty format is detected from
// first, the input's first non-empty line.
func newLineParser(opts ReaderOptions, first []byte) (*lineParser, error) {
	p := &lineParser{opts: opts, format: opts.Format}
	if p.format == "" {
		p.format = detect(first)
	}
	if p.format == FormatCSV && first != nil {
		h, err := csv.NewReader(bytes.NewReader(first)).Read()
		if err != nil {
			return nil, fmt.Errorf("CSV header: %w", err)
		}
		p.header = h
	}
	return p, nil
}

// NewReader detects gzip and the format (unless opts.Format names it) from the start of r.
func NewReader(r io.Reader, opts ReaderOptions) (*Reader, error) {
	src := countio.NewReader(r)
	br := bufio.NewReaderSize(src, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		in = gz
	}
	if err := validFormat(opts.Format); err != nil {
		return nil, err
	}
	rd := &Reader{src: src, sc: bufio.NewScanner(in)}
	rd.sc.Buffer(make([]byte, 64<<10), maxInputLine)
	// The first non-empty line tells the format and, for CSV, holds the header.
	for rd.sc.Scan() {
		rd.line++
		if raw := bytes.TrimRight(rd.sc.Bytes(), "\r"); len(bytes.TrimSpace(raw)) > 0 {
			rd.pending = bytes.Clone(raw) // the record keeps its bytes; only detection looks past the blanks
			break
		}
	}
	if err := rd.sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", rd.line+1, scanErr(err))
	}
	p, err := newLineParser(opts, rd.pending)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", rd.line, err)
	}
	rd.lineParser = *p
	if rd.format == FormatCSV {
		rd.pending = nil // the header is not a record
	}
	return rd, nil
}

func validFormat(f string) error {
	switch f {
	case "", FormatCapture, FormatNDJSON, FormatCSV, FormatLines:
		return nil
	}
	return fmt.Errorf("format %q: must be %s, %s, %s or %s", f, FormatCapture, FormatNDJSON, FormatCSV, FormatLines)
}

// Format is the input's format, as detected or given.
func (r *Reader) Format() string { return r.format }

// BytesRead is how much of the underlying input has been consumed, for progress against its size.
func (r *Reader) BytesRead() int64 { return r.src.N() }

// Malformed lists the lines that could not be read so far.
// The first maxMalformedKept malformed lines are kept; all are counted.
func (r *Reader) Malformed() []Malformed { return r.bad }

// MalformedCount is how many lines could not be read so far.
func (r *Reader) MalformedCount() int { return r.badCount }

func detect(first []byte) string {
	if len(first) > 0 && first[0] == '{' {
		if _, err := ParseLine(first); err == nil {
			return FormatCapture
		}
		if json.Valid(first) {
			return FormatNDJSON
		}
	}
	if bytes.Count(first, []byte(",")) >= 1 && csvHeader.Match(first) {
		return FormatCSV
	}
	return FormatLines
}

// csvHeader is a header line: names separated by commas, no spaces inside a name (so prose with commas is a log).
var csvHeader = regexp.MustCompile(`^"?[A-Za-z_][A-Za-z0-9_.\- ]*"?(,"?[A-Za-z_][A-Za-z0-9_.\- ]*"?)+$`)

// Next returns the next item, skipping (and recording) malformed lines; io.EOF at the end.
func (r *Reader) Next() (Item, error) {
	for {
		var line []byte
		if r.pending != nil {
			line, r.pending = r.pending, nil
		} else {
			if !r.sc.Scan() {
				if err := r.sc.Err(); err != nil {
					return Item{}, fmt.Errorf("line %d: %w", r.line+1, scanErr(err))
				}
				return Item{}, io.EOF
			}
			r.line++
			line = bytes.TrimRight(r.sc.Bytes(), "\r")
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
		}
		it, err := r.parse(line)
		if err != nil {
			r.badCount++
			if len(r.bad) < maxMalformedKept {
				r.bad = append(r.bad, Malformed{Line: r.line, Err: err.Error()})
			}
			continue
		}
		it.Line = r.line
		return it, nil
	}
}

func (r *lineParser) parse(line []byte) (Item, error) {
	if r.format != FormatCapture && len(line) > MaxLine {
		return Item{}, fmt.Errorf("%d bytes: a record is at most %d", len(line), MaxLine)
	}
	switch r.format {
	case FormatCapture:
		rec, err := ParseLine(line)
		if errors.Is(err, errNotCapture) {
			return Item{}, errors.New("a capture line needs key, enc and data")
		}
		if err != nil {
			return Item{}, err
		}
		return Item{Key: rec.Key, Data: rec.Data, Time: rec.Arrival}, nil
	case FormatNDJSON:
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			return Item{}, fmt.Errorf("not a JSON object: %w", err)
		}
		it := Item{Data: bytes.Clone(line)}
		it.Key = r.field(doc, r.opts.KeyField)
		if t, ok := r.timeOf(doc); ok {
			it.Time = t
		}
		return it, nil
	case FormatCSV:
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil {
			return Item{}, fmt.Errorf("CSV: %w", err)
		}
		if len(rec) != len(r.header) {
			return Item{}, fmt.Errorf("CSV: %d fields, the header has %d", len(rec), len(r.header))
		}
		doc := make(map[string]any, len(rec))
		for i, name := range r.header {
			doc[name] = rec[i]
		}
		data, _ := json.Marshal(doc) // strings always marshal
		it := Item{Data: data, Key: r.field(doc, r.opts.KeyField)}
		if t, ok := r.timeOf(doc); ok {
			it.Time = t
		}
		return it, nil
	default:
		it := Item{Data: bytes.Clone(line)}
		if t, ok := logTime(line); ok {
			it.Time = t
		}
		return it, nil
	}
}

func (r *lineParser) field(doc map[string]any, name string) string {
	if name == "" {
		return ""
	}
	switch v := doc[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

var timeFields = []string{"ts", "timestamp", "time", "@timestamp"}

func (r *lineParser) timeOf(doc map[string]any) (time.Time, bool) {
	names := timeFields
	if r.opts.TimeField != "" {
		names = []string{r.opts.TimeField}
	}
	for _, n := range names {
		switch v := doc[n].(type) {
		case string:
			if t, ok := parseTime(v); ok {
				return t, true
			}
		case float64: // epoch seconds, or milliseconds when it is too large to be seconds
			if v > 1e11 {
				return time.UnixMilli(int64(v)), true
			}
			return time.Unix(0, int64(v*1e9)), true
		}
	}
	return time.Time{}, false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
		"02/Jan/2006:15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
		if n > 1e11 {
			return time.UnixMilli(int64(n)), true
		}
		return time.Unix(0, int64(n*1e9)), true
	}
	return time.Time{}, false
}

// Timestamps a log line may carry: the common/combined log format's [02/Jan/2006:15:04:05 -0700], or an ISO 8601
// time at the start of the line (syslog-style and most application logs).
var (
	clfTime = regexp.MustCompile(`\[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]`)
	isoTime = regexp.MustCompile(`^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)`)
)

func logTime(line []byte) (time.Time, bool) {
	if m := clfTime.FindSubmatch(line); m != nil {
		if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", string(m[1])); err == nil {
			return t, true
		}
	}
	if m := isoTime.FindSubmatch(line); m != nil {
		s := strings.Replace(string(m[1]), " ", "T", 1)
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999-0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func scanErr(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("a line is over %d bytes, more than a capture of the largest record", maxInputLine)
	}
	return err
}
