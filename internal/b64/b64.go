// Package b64 encodes and decodes standard, padded base64 (encoding/base64's StdEncoding) several bytes per table
// lookup. Every Kinesis JSON record crosses the wire as base64, in PutRecords requests and GetRecords answers, and
// encoding/base64's one-sextet-at-a-time loops were the largest single cost of serving them.
package b64

import (
	"encoding/base64"
	"encoding/binary"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// enc12 maps 12 bits to their two characters, the first in the low byte.
var enc12 [1 << 12]uint16

// dec16 maps two characters (the first in the high byte) to their 12 bits, or to invalid.
var dec16 [1 << 16]uint16

const invalid = 1 << 15

func init() {
	for i := range enc12 {
		enc12[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	var dec6 [256]int
	for i := range dec6 {
		dec6[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		dec6[alphabet[i]] = i
	}
	for i := range dec16 {
		hi, lo := dec6[i>>8], dec6[i&0xff]
		if hi < 0 || lo < 0 {
			dec16[i] = invalid
		} else {
			dec16[i] = uint16(hi<<6 | lo)
		}
	}
}

// AppendEncode appends src's encoding to dst, as base64.StdEncoding.AppendEncode does.
func AppendEncode(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	i, o := encodeVector(out, src)
	// Twelve bytes make sixteen characters per round, two 8-byte loads (each needing two bytes past its six) and two
	// stores; slicing each round to its exact window lets the compiler drop the bounds checks inside.
	for ; len(src)-i >= 14; i, o = i+12, o+16 {
		s, d := src[i:i+14], out[o:o+16]
		v := binary.BigEndian.Uint64(s[0:8])
		w := binary.BigEndian.Uint64(s[6:14])
		binary.LittleEndian.PutUint64(d[0:8], uint64(enc12[v>>52])|uint64(enc12[v>>40&0xfff])<<16|
			uint64(enc12[v>>28&0xfff])<<32|uint64(enc12[v>>16&0xfff])<<48)
		binary.LittleEndian.PutUint64(d[8:16], uint64(enc12[w>>52])|uint64(enc12[w>>40&0xfff])<<16|
			uint64(enc12[w>>28&0xfff])<<32|uint64(enc12[w>>16&0xfff])<<48)
	}
	for ; len(src)-i >= 8; i, o = i+6, o+8 {
		v := binary.BigEndian.Uint64(src[i:])
		binary.LittleEndian.PutUint64(out[o:], uint64(enc12[v>>52])|uint64(enc12[v>>40&0xfff])<<16|
			uint64(enc12[v>>28&0xfff])<<32|uint64(enc12[v>>16&0xfff])<<48)
	}
	base64.StdEncoding.Encode(out[o:], src[i:])
	return dst[:len(dst)+n]
}

// Decode decodes src into dst, which must have room for base64.StdEncoding.DecodedLen(len(src)) bytes, and returns
// the bytes written. It accepts exactly what base64.StdEncoding.Strict().Decode accepts except line breaks, which JSON
// strings cannot hold raw; on any error it reports ok false and the caller decides what to say.
//
// The end is read strictly: a last character with bits the decoded bytes do not use ("+/+=") is an error, as AWS
// refuses it, rather than dropped.
func Decode(dst, src []byte) (int, bool) {
	i, n := decodeVector(dst, src)
	// Eight characters make six bytes, written with one 8-byte store; keep a full block and its padding for the
	// standard decoder, which knows the rules for the end.
	for ; len(src)-i > 8 && len(dst)-n >= 8; i, n = i+8, n+6 {
		v := binary.BigEndian.Uint64(src[i:])
		a, b, c, d := dec16[v>>48], dec16[v>>32&0xffff], dec16[v>>16&0xffff], dec16[v&0xffff]
		if (a|b|c|d)&invalid != 0 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(a)<<52|uint64(b)<<40|uint64(c)<<28|uint64(d)<<16)
	}
	for _, c := range src[i:] {
		if c == '\r' || c == '\n' {
			return 0, false
		}
	}
	m, err := strict.Decode(dst[n:], src[i:])
	if err != nil {
		return 0, false
	}
	return n + m, true
}

var strict = base64.StdEncoding.Strict()

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	return append(b, make([]byte, n)...)[:len(b)]
}
