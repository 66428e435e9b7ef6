// Package hashkey implements Kinesis's 128-bit hash keys: the MD5 of a partition key read as an unsigned integer,
// decimal parsing and formatting as the API uses them, and contiguous ranges that split the key space among shards.
package hashkey

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// Key is an unsigned 128-bit integer.
type Key struct{ Hi, Lo uint64 }

// Max is the largest hash key, 2^128−1.
var Max = Key{^uint64(0), ^uint64(0)}

// FromPartitionKey hashes a partition key the way Kinesis does: MD5 of its UTF-8 bytes, big-endian.
func FromPartitionKey(partitionKey string) Key {
	sum := md5.Sum([]byte(partitionKey))
	return FromBytes(sum)
}

// FromBytes reads 16 big-endian bytes.
func FromBytes(b [16]byte) Key {
	return Key{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// Bytes returns the key as 16 big-endian bytes.
func (k Key) Bytes() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.Hi)
	binary.BigEndian.PutUint64(b[8:], k.Lo)
	return b
}

// ErrSyntax and ErrRange describe why Parse refused a string.
var (
	ErrSyntax = errors.New("not a decimal integer without sign or leading zeros")
	ErrRange  = errors.New("outside [0, 2^128-1]")
)

// Parse reads a decimal hash key as the API sends it (pattern 0|([1-9]\d{0,38})).
func Parse(s string) (Key, error) {
	if s == "" || len(s) > 39 || (len(s) > 1 && s[0] == '0') {
		return Key{}, ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return Key{}, ErrSyntax
		}
	}
	n, _ := new(big.Int).SetString(s, 10)
	if n.BitLen() > 128 {
		return Key{}, ErrRange
	}
	return fromBig(n), nil
}

// MustParse is Parse for constants in tests and tables; it panics on bad input.
func MustParse(s string) Key {
	k, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("hashkey.MustParse(%q): %v", s, err))
	}
	return k
}

// String formats the key in decimal, as the API does.
func (k Key) String() string { return k.big().String() }

// Hex formats the key as 32 hex digits.
func (k Key) Hex() string { return fmt.Sprintf("%016x%016x", k.Hi, k.Lo) }

// Cmp returns -1, 0 or +1 as k is less than, equal to or greater than o.
func (k Key) Cmp(o Key) int {
	switch {
	case k.Hi < o.Hi:
		return -1
	case k.Hi > o.Hi:
		return 1
	case k.Lo < o.Lo:
		return -1
	case k.Lo > o.Lo:
		return 1
	}
	return 0
}

// Less reports whether k < o.
func (k Key) Less(o Key) bool { return k.Cmp(o) < 0 }

// Add1 returns k+1, wrapping at 2^128.
func (k Key) Add1() Key {
	lo, carry := bits.Add64(k.Lo, 1, 0)
	return Key{k.Hi + carry, lo}
}

// Sub1 returns k−1, wrapping at 0.
func (k Key) Sub1() Key {
	lo, borrow := bits.Sub64(k.Lo, 1, 0)
	return Key{k.Hi - borrow, lo}
}

// Fraction places k in the key space as a number in [0, 1], for drawing.
func (k Key) Fraction() float64 {
	return (float64(k.Hi) + float64(k.Lo)/18446744073709551616.0) / 18446744073709551616.0
}

func (k Key) big() *big.Int {
	n := new(big.Int).SetUint64(k.Hi)
	n.Lsh(n, 64)
	return n.Or(n, new(big.Int).SetUint64(k.Lo))
}

func fromBig(n *big.Int) Key {
	lo := new(big.Int).And(n, new(big.Int).SetUint64(^uint64(0)))
	hi := new(big.Int).Rsh(n, 64)
	return Key{hi.Uint64(), lo.Uint64()}
}

// Range is an inclusive range of hash keys owned by one shard.
type Range struct{ Start, End Key }

// Contains reports whether k lies in r.
func (r Range) Contains(k Key) bool { return !k.Less(r.Start) && !r.End.Less(k) }

// Mid returns the first key of the upper half of r, the point SplitShard uses for an even split.
func (r Range) Mid() Key {
	// The full key space is 2^128 wide, one more than a Key holds, so work with width−1 = end−start:
	// the upper half starts at start + floor((end−start)/2) + 1.
	hi, lo := r.End.Hi, r.End.Lo
	lo, borrow := bits.Sub64(lo, r.Start.Lo, 0)
	hi = hi - r.Start.Hi - borrow
	halfLo := lo>>1 | hi<<63
	halfHi := hi >> 1
	sumLo, carry := bits.Add64(r.Start.Lo, halfLo, 0)
	mid := Key{r.Start.Hi + halfHi + carry, sumLo}
	return mid.Add1()
}

// Adjacent reports whether b starts right after a ends.
func (a Range) Adjacent(b Range) bool { return a.End != Max && a.End.Add1() == b.Start }

// EvenSplit divides the whole key space into n contiguous ranges the way CreateStream does:
// range i starts at floor(i·2^128/n).
func EvenSplit(n int) []Range {
	return SplitRange(Range{Key{}, Max}, n)
}

// SplitRange divides r into n contiguous ranges of (nearly) equal width; n must be at least 1.
func SplitRange(r Range, n int) []Range {
	width := new(big.Int).Sub(r.End.big(), r.Start.big())
	width.Add(width, big.NewInt(1))
	starts := make([]Key, n)
	for i := range n {
		off := new(big.Int).Mul(width, big.NewInt(int64(i)))
		off.Quo(off, big.NewInt(int64(n)))
		starts[i] = fromBig(off.Add(off, r.Start.big()))
	}
	out := make([]Range, n)
	for i := range n {
		end := r.End
		if i+1 < n {
			end = starts[i+1].Sub1()
		}
		out[i] = Range{starts[i], end}
	}
	return out
}
