package kinesisapi

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"github.com/shardlab/shardlab/internal/b64"
	"github.com/shardlab/shardlab/internal/bufpool"
)

// PutRecords is the hot call, and reflection-based JSON decoding of its base64 payloads costs more CPU than the
// engine spends storing them. fastPutRecords reads the common shape of the body directly: an object with
// StreamName, StreamARN and Records members, each record an object with Data, PartitionKey and ExplicitHashKey
// strings. Anything else — escapes, null, numbers, unknown or differently cased members, invalid UTF-8 — makes it
// give up (ok false) and the general decoder runs instead, so the answer never depends on which path ran; a fuzz
// test holds the two to the same result.
func fastPutRecords(body []byte) (in putRecordsIn, ok bool) {
	p := scanner{b: body}
	// One pooled buffer for every record's data: base64 decodes to at most 3/4 of the body. The caller gives it
	// back (putRecordsIn.release) once the engine has copied the records.
	arena := bufpool.Get(base64.StdEncoding.DecodedLen(len(body)))
	defer func() {
		if !ok {
			bufpool.Put(arena)
		}
	}()
	seenRecords := false
	ok = p.object(func(key []byte) bool {
		switch string(key) {
		case "StreamName":
			return p.textTo(&in.StreamName)
		case "StreamARN":
			return p.textTo(&in.StreamARN)
		case "Records":
			if seenRecords { // a repeated member: leave the merging rules to encoding/json
				return false
			}
			seenRecords = true
			in.Records = make([]putRecordsEntryIn, 0, 500) // [] must decode to an empty list, not a missing one
			return p.array(func() bool {
				var r putRecordsEntryIn
				ok := p.object(func(key []byte) bool {
					switch string(key) {
					case "Data":
						raw, ok := p.base64Raw()
						if !ok {
							return false
						}
						start := len(arena)
						n, ok := b64.Decode(arena[start:cap(arena)], raw)
						if !ok {
							return false
						}
						arena = arena[:start+n]
						r.Data = arena[start : start+n : start+n]
						return true
					case "PartitionKey":
						return p.textTo(&r.PartitionKey)
					case "ExplicitHashKey":
						return p.textTo(&r.ExplicitHashKey)
					}
					return false
				})
				in.Records = append(in.Records, r)
				return ok
			})
		}
		return false
	})
	if !ok || !p.end() {
		return putRecordsIn{}, false
	}
	in.arena = arena
	return in, true
}

func fastPutRecordsInto(body []byte, in *putRecordsIn) bool {
	fast, ok := fastPutRecords(body)
	if ok {
		*in = fast
	}
	return ok
}

// scanner walks a JSON document for fastPutRecords; every method reports false on anything it does not handle.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scanner) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// raw returns a string's bytes, refusing escapes and control characters (encoding/json would transform or
// reject them).
func (p *scanner) raw() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			return s, true
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	return nil, false
}

// base64Raw finds a base64 string's end with one vectorised search. It checks nothing else: b64.Decode refuses
// every byte encoding/json would reject or transform inside the string (backslashes, control characters).
func (p *scanner) base64Raw() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	n := bytes.IndexByte(p.b[p.i:], '"')
	if n < 0 {
		return nil, false
	}
	s := p.b[p.i : p.i+n]
	p.i += n + 1
	return s, true
}

// textTo reads a member that becomes a Go string: encoding/json would replace invalid UTF-8, so refuse it.
func (p *scanner) textTo(dst *string) bool {
	s, ok := p.raw()
	if !ok || !utf8.Valid(s) {
		return false
	}
	*dst = string(s)
	return true
}

func (p *scanner) object(member func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.raw()
		if !ok || !p.consume(':') || !member(key) {
			return false
		}
		if p.consume('}') {
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

func (p *scanner) array(elem func() bool) bool {
	if !p.consume('[') {
		return false
	}
	if p.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.consume(']') {
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}
