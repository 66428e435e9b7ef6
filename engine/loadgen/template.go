package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/engine/envelope"
)

// Templates: what each generated record looks like.
const (
	Clickstream = "clickstream" // a JSON page event of a web shop, keyed by user
	IoT         = "iot"         // a JSON sensor reading, keyed by device
	AccessLog   = "accesslog"   // a web server access log line, keyed by client address
	SampleFile  = "file"        // the lines of a file, in order, looping
)

// Templates lists the template kinds in the order a picker shows them.
var Templates = []string{Clickstream, IoT, AccessLog, SampleFile}

// MaxRecordSize bounds the record size a generator pads to (Kinesis's default record limit).
const MaxRecordSize = 1 << 20

// maxSampleLines bounds what a sample file contributes, so a huge file cannot fill memory.
const maxSampleLines = 100_000

// recordMaker builds a record's data for a key; it appends to dst so buffers are reused.
type recordMaker struct {
	template string
	size     int
	lines    [][]byte
	next     int

	// seal, when set, makes each batch's records envelopes (sealAll); spare is the buffer they are sealed into,
	// swapped with the plaintext's each batch so neither is allocated again.
	seal        *envelope.Key
	spare       []byte
	sealOffsets []int
}

// sealAll seals the records plain holds (record i is plain[offsets[i]:offsets[i+1]]) and returns the envelopes
// the same way. The buffers it returns are the maker's until the next call.
func (m *recordMaker) sealAll(plain []byte, offsets []int) ([]byte, []int) {
	n := len(offsets) - 1
	out := slices.Grow(m.spare[:0], len(plain)+n*envelope.Overhead)
	offs := append(m.sealOffsets[:0], 0)
	for i := range n {
		out = m.seal.Seal(out, plain[offsets[i]:offsets[i+1]])
		offs = append(offs, len(out))
	}
	m.spare, m.sealOffsets = plain, offs
	return out, offs
}

func newRecordMaker(template, sampleFile string, size int) (*recordMaker, error) {
	m := &recordMaker{template: template, size: size}
	if template == SampleFile {
		lines, err := readSampleLines(sampleFile)
		if err != nil {
			return nil, err
		}
		m.lines = lines
	}
	return m, nil
}

func readSampleLines(path string) ([][]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("sample file: a file is needed for the %q template", SampleFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sample file: %w", err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), MaxRecordSize)
	for sc.Scan() && len(lines) < maxSampleLines {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sample file %s: %w (a line may be over %d bytes)", path, err, MaxRecordSize)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("sample file %s: no non-empty lines", path)
	}
	return lines, nil
}

// keyName is the partition key of key index i, named as the template's domain would.
func keyName(template string, i int) string {
	switch template {
	case IoT:
		return "sensor-" + pad4(i)
	case AccessLog:
		return "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	default:
		return "user-" + pad4(i)
	}
}

func pad4(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

var (
	pages   = []string{"/", "/search", "/products/12", "/products/64", "/products/96", "/cart", "/checkout"}
	actions = []string{"view_page", "search", "view_product", "view_product", "add_to_cart", "view_cart", "purchase"}
	methods = []string{"GET", "GET", "GET", "POST"}
	paths   = []string{"/", "/index.html", "/api/items", "/api/cart", "/static/app.js", "/login"}
	status  = []int{200, 200, 200, 200, 304, 404, 500}
)

// appendRecord appends one record for key to dst.
func (m *recordMaker) appendRecord(dst []byte, key string, now time.Time, r *rand.Rand) []byte {
	start := len(dst)
	switch m.template {
	case SampleFile:
		dst = append(dst, m.lines[m.next]...)
		m.next = (m.next + 1) % len(m.lines)
		return m.pad(dst, start, false)
	case IoT:
		dst = append(dst, `{"ts":"`...)
		dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","device":"`...)
		dst = append(dst, key...)
		dst = append(dst, `","temperature_c":`...)
		dst = strconv.AppendFloat(dst, 18+r.Float64()*12, 'f', 2, 64)
		dst = append(dst, `,"humidity_pct":`...)
		dst = strconv.AppendFloat(dst, 30+r.Float64()*40, 'f', 1, 64)
		dst = append(dst, `,"battery_v":`...)
		dst = strconv.AppendFloat(dst, 3.3+r.Float64()*0.9, 'f', 2, 64)
		dst = append(dst, '}')
		return m.pad(dst, start, true)
	case AccessLog:
		dst = append(dst, key...)
		dst = append(dst, ` - - [`...)
		dst = now.UTC().AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
		dst = append(dst, `] "`...)
		dst = append(dst, methods[r.IntN(len(methods))]...)
		dst = append(dst, ' ')
		dst = append(dst, paths[r.IntN(len(paths))]...)
		dst = append(dst, ` HTTP/1.1" `...)
		dst = strconv.AppendInt(dst, int64(status[r.IntN(len(status))]), 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(200+r.IntN(20000)), 10)
		return m.pad(dst, start, false)
	default:
		i := r.IntN(len(pages))
		dst = append(dst, `{"ts":"`...)
		dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","user":"`...)
		dst = append(dst, key...)
		dst = append(dst, `","page":"`...)
		dst = append(dst, pages[i]...)
		dst = append(dst, `","action":"`...)
		dst = append(dst, actions[i]...)
		dst = append(dst, `","latency_ms":`...)
		dst = strconv.AppendInt(dst, int64(20+r.IntN(180)), 10)
		dst = append(dst, '}')
		return m.pad(dst, start, true)
	}
}

// pad grows the record from start to the configured size. JSON records get a "pad" member so they stay valid JSON;
// a record already longer than the size is kept whole rather than cut into something unparseable.
func (m *recordMaker) pad(dst []byte, start int, json bool) []byte {
	n := len(dst) - start
	if m.size <= n {
		return dst
	}
	if json && dst[len(dst)-1] == '}' {
		const member = `,"pad":""`
		if m.size-n >= len(member) {
			dst = dst[:len(dst)-1]
			dst = append(dst, `,"pad":"`...)
			for len(dst)-start < m.size-2 {
				dst = append(dst, 'x')
			}
			return append(dst, `"}`...)
		}
	}
	for len(dst)-start < m.size {
		dst = append(dst, ' ')
	}
	return dst
}
