// Package randid makes the random identifiers Shardlab hands out: request ids, object names, partition keys for
// records that bring none.
package randid

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID is a random (version 4) UUID in its usual text form.
func UUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Hex is n random bytes as hexadecimal text, e.g. a partition key that spreads records over the shards.
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
