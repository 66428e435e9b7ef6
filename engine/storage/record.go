package storage

import (
	"encoding/binary"
	"errors"
)

// Record flags, stored in a record value's first byte.
const (
	// FlagEncrypted marks data sealed with the stream's key at the time of the put.
	FlagEncrypted byte = 1 << iota
)

// ErrBadRecord means a stored record value cannot be decoded.
var ErrBadRecord = errors.New("stored record is malformed")

// AppendRecord encodes a record value: flags, the partition key with its length, then the data.
func AppendRecord(dst []byte, flags byte, partitionKey string, data []byte) []byte {
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(partitionKey)))
	dst = append(dst, partitionKey...)
	return append(dst, data...)
}

// RecordSize is the encoded size of a record value.
func RecordSize(partitionKey string, data []byte) int {
	return 1 + uvarintLen(uint64(len(partitionKey))) + len(partitionKey) + len(data)
}

// DecodeRecord splits a record value; the slices alias v.
func DecodeRecord(v []byte) (flags byte, partitionKey, data []byte, err error) {
	if len(v) < 2 {
		return 0, nil, nil, ErrBadRecord
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return 0, nil, nil, ErrBadRecord
	}
	start := 1 + w
	return v[0], v[start : start+int(n)], v[start+int(n):], nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
