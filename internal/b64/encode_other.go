//go:build !amd64

package b64

// hasAVX2 is never true off amd64; it exists so tests can run both paths on every platform.
var hasAVX2 = false

func encodeVector(out, src []byte) (i, o int) { return 0, 0 }

func decodeVector(dst, src []byte) (i, n int) { return 0, 0 }
