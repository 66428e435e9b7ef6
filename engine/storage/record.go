package storage

import (
	"encoding/binary"
	"errors"
)

// A record value is a flags byte followed by a body. A plain body is the partition key's length (uvarint), the
// key, then the data. A sealed body (FlagEncrypted) is the number of the key it was sealed with (uvarint), then
// what that key's cipher made of a plain body; the engine owns the cipher, storage only frames it.

// Record flags, stored in a record value's first byte.
const (
	// FlagEncrypted marks a body sealed with a stream key at the time of the put.
	FlagEncrypted byte = 1 << iota
)

// ErrBadRecord means a stored record value cannot be decoded.
var ErrBadRecord = errors.New("stored record is malformed")

// AppendRecord encodes a plain record value.
func AppendRecord(dst []byte, partitionKey string, data []byte) []byte {
	return AppendBody(append(dst, 0), partitionKey, data)
}

// AppendBody encodes a plain body: the partition key with its length, then the data.
func AppendBody(dst []byte, partitionKey string, data []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(partitionKey)))
	dst = append(dst, partitionKey...)
	return append(dst, data...)
}

// AppendSealedHeader starts a sealed record value; the caller appends the sealed body.
func AppendSealedHeader(dst []byte, keyNum uint32) []byte {
	return binary.AppendUvarint(append(dst, FlagEncrypted), uint64(keyNum))
}

// RecordSize is the encoded size of a plain record value.
func RecordSize(partitionKey string, data []byte) int {
	return 1 + uvarintLen(uint64(len(partitionKey))) + len(partitionKey) + len(data)
}

// DecodeRecord splits a plain record value into partition key and data, or a sealed one into its key number and
// sealed body (partitionKey nil). The slices alias v.
func DecodeRecord(v []byte) (flags byte, keyNum uint32, partitionKey, data []byte, err error) {
	if len(v) < 2 {
		return 0, 0, nil, nil, ErrBadRecord
	}
	flags = v[0]
	if flags&FlagEncrypted != 0 {
		n, w := binary.Uvarint(v[1:])
		if w <= 0 || n > 1<<32-1 {
			return 0, 0, nil, nil, ErrBadRecord
		}
		return flags, uint32(n), nil, v[1+w:], nil
	}
	partitionKey, data, err = DecodeBody(v[1:])
	return flags, 0, partitionKey, data, err
}

// DecodeBody splits a plain body; the slices alias b.
func DecodeBody(b []byte) (partitionKey, data []byte, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, ErrBadRecord
	}
	return b[w : w+int(n)], b[w+int(n):], nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
