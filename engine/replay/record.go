// Package replay moves records between streams and files: capture writes a stream's records to an NDJSON capture
// file, replay puts a capture, an NDJSON or CSV file or a plain log into a stream at its original pace times a speed
// factor (or as fast as the stream accepts). Both use the engine's Go API like any client.
package replay

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// How a capture line holds a record's data.
const (
	EncJSON   = "json"   // the data is compact JSON, inlined as is
	EncText   = "text"   // the data is UTF-8 text, as a JSON string
	EncBase64 = "base64" // anything else
)

// Record is one line of a capture file: a record as a stream held it.
type Record struct {
	Shard   string
	Seq     string
	Key     string
	Arrival time.Time
	Data    []byte
}

// AppendLine appends r as one capture line (with its newline) to dst. Data is inlined when that keeps it
// byte-identical on the way back: compact JSON as JSON, other UTF-8 text as a string, the rest as base64.
func AppendLine(dst []byte, r Record) []byte {
	dst = append(dst, `{"shard":`...)
	dst = appendJSONString(dst, r.Shard)
	dst = append(dst, `,"seq":`...)
	dst = appendJSONString(dst, r.Seq)
	dst = append(dst, `,"key":`...)
	dst = appendJSONString(dst, r.Key)
	dst = append(dst, `,"ts":"`...)
	dst = r.Arrival.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, `","size":`...)
	dst = strconv.AppendInt(dst, int64(len(r.Data)), 10)
	switch {
	case isCompactJSON(r.Data):
		dst = append(dst, `,"enc":"json","data":`...)
		dst = append(dst, r.Data...)
	case utf8.Valid(r.Data):
		dst = append(dst, `,"enc":"text","data":`...)
		dst = appendJSONString(dst, string(r.Data))
	default:
		dst = append(dst, `,"enc":"base64","data":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, r.Data)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...)
}

// isCompactJSON reports JSON that encoding/json would give back byte for byte: valid, already compact, and
// valid UTF-8 (so no string in it gets rewritten).
func isCompactJSON(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) || !json.Valid(b) {
		return false
	}
	var c bytes.Buffer
	if json.Compact(&c, b) != nil {
		return false
	}
	return bytes.Equal(c.Bytes(), b)
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// captureLine is a capture line's JSON shape.
type captureLine struct {
	Shard *string         `json:"shard"`
	Seq   *string         `json:"seq"`
	Key   *string         `json:"key"`
	TS    *string         `json:"ts"`
	Enc   *string         `json:"enc"`
	Data  json.RawMessage `json:"data"`
}

// errNotCapture marks a JSON line that lacks a capture line's members (so it is plain NDJSON).
var errNotCapture = errors.New("not a capture line")

// ParseLine reads one capture line back into a Record.
func ParseLine(line []byte) (Record, error) {
	var c captureLine
	if err := json.Unmarshal(line, &c); err != nil {
		return Record{}, fmt.Errorf("not JSON: %w", err)
	}
	if c.Key == nil || c.Enc == nil || c.Data == nil {
		return Record{}, errNotCapture
	}
	r := Record{Key: *c.Key}
	if c.Shard != nil {
		r.Shard = *c.Shard
	}
	if c.Seq != nil {
		r.Seq = *c.Seq
	}
	if c.TS != nil {
		t, err := time.Parse(time.RFC3339Nano, *c.TS)
		if err != nil {
			return Record{}, fmt.Errorf("ts %q: %w", *c.TS, err)
		}
		r.Arrival = t
	}
	switch *c.Enc {
	case EncJSON:
		r.Data = bytes.Clone(c.Data)
	case EncText:
		var s string
		if err := json.Unmarshal(c.Data, &s); err != nil {
			return Record{}, fmt.Errorf("data: enc text needs a JSON string: %w", err)
		}
		r.Data = []byte(s)
	case EncBase64:
		var s string
		if err := json.Unmarshal(c.Data, &s); err != nil {
			return Record{}, fmt.Errorf("data: enc base64 needs a JSON string: %w", err)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Record{}, fmt.Errorf("data: %w", err)
		}
		r.Data = b
	default:
		return Record{}, fmt.Errorf("enc %q: must be %s, %s or %s", *c.Enc, EncJSON, EncText, EncBase64)
	}
	return r, nil
}
