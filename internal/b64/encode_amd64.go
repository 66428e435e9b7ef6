package b64

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func encodeAVX2(dst, src []byte) int

// encodeVector encodes a prefix of src into out with the CPU's vector unit, where it has one, and returns the bytes
// of src it consumed (a multiple of 3) and the characters it wrote.
func encodeVector(out, src []byte) (i, o int) {
	if !hasAVX2 || len(src) < 28 {
		return 0, 0
	}
	i = encodeAVX2(out, src)
	return i, i / 3 * 4
}

//go:noescape
func decodeAVX2(dst, src []byte) (consumed, written int)

// decodeVector decodes a prefix of src into dst with the CPU's vector unit, where it has one, stopping before
// anything it cannot decide (a character outside the alphabet, padding, the last characters) and returns the
// characters consumed and the bytes written.
func decodeVector(dst, src []byte) (i, n int) {
	if !hasAVX2 {
		return 0, 0
	}
	return decodeAVX2(dst, src)
}
