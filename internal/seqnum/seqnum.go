// Package seqnum encodes Shardlab's sequence numbers: decimal strings, unique per stream and increasing per shard,
// that also carry the shard they belong to and the millisecond the record arrived.
//
// A sequence number is "49" followed by a 20-digit counter and a 12-digit shard index. The counter is stream-wide
// and holds the arrival time in its upper 44 bits (Unix milliseconds) and a tie-breaker in its lower 20, so numbers
// sort by arrival across the whole stream, AT_TIMESTAMP becomes a seek, and a number names its shard.
package seqnum

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

const (
	prefix      = "49"
	counterLen  = 20
	shardLen    = 12
	Len         = len(prefix) + counterLen + shardLen
	tieBits     = 20
	maxShardIdx = 999_999_999_999
)

// ErrInvalid means the string is not a sequence number Shardlab issued.
var ErrInvalid = errors.New("not a Shardlab sequence number")

// Format renders the sequence number of counter in shard shardIndex.
func Format(counter uint64, shardIndex int) string {
	var b [Len]byte
	copy(b[:], prefix)
	putDigits(b[len(prefix):len(prefix)+counterLen], counter)
	putDigits(b[len(prefix)+counterLen:], uint64(shardIndex))
	return string(b[:])
}

func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// Parse splits a sequence number into its counter and shard index.
func Parse(s string) (counter uint64, shardIndex int, err error) {
	if len(s) != Len || s[:len(prefix)] != prefix {
		return 0, 0, ErrInvalid
	}
	c, err := strconv.ParseUint(s[len(prefix):len(prefix)+counterLen], 10, 64)
	if err != nil {
		return 0, 0, ErrInvalid
	}
	idx, err := strconv.ParseUint(s[len(prefix)+counterLen:], 10, 64)
	if err != nil || idx > maxShardIdx {
		return 0, 0, ErrInvalid
	}
	return c, int(idx), nil
}

// Floor returns the smallest counter a sequence-number-like decimal string s is greater than or equal to, for
// SequenceNumberForOrdering: any decimal string of at most 129 digits (AWS's pattern 0|([1-9]\d{0,128})) is
// accepted there, and the next record must get a larger number. ok is false when s lies beyond every counter
// Shardlab can issue.
func Floor(s string) (counter uint64, ok bool, err error) {
	if s == "" || len(s) > 129 {
		return 0, false, fmt.Errorf("sequence number %q: %w", s, ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false, fmt.Errorf("sequence number %q: %w", s, ErrInvalid)
		}
	}
	trimmed := s
	for len(trimmed) > 1 && trimmed[0] == '0' {
		trimmed = trimmed[1:]
	}
	switch {
	case len(trimmed) < Len:
		return 0, true, nil
	case len(trimmed) > Len:
		return 0, false, nil
	case trimmed[:len(prefix)] < prefix:
		return 0, true, nil
	case trimmed[:len(prefix)] > prefix:
		return 0, false, nil
	}
	c, err := strconv.ParseUint(trimmed[len(prefix):len(prefix)+counterLen], 10, 64)
	if err != nil {
		return 0, false, nil
	}
	return c, true, nil
}

// maxMillis is the last millisecond a counter can hold (44 bits: the year 2527).
const maxMillis = 1<<(64-tieBits) - 1

// CounterAt is the first counter of the millisecond t falls in. A time past the last millisecond a counter holds
// gives the largest counter rather than wrapping: a wrapped counter would put a far-future time before today.
func CounterAt(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	if ms > maxMillis {
		return maxMillis<<tieBits | (1<<tieBits - 1)
	}
	return uint64(ms) << tieBits
}

// Time returns the arrival time a counter records.
func Time(counter uint64) time.Time {
	return time.UnixMilli(int64(counter >> tieBits))
}
