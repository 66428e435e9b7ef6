package countio

import (
	"io"
	"strings"
	"testing"
)

func TestReaderCounts(t *testing.T) {
	r := NewReader(strings.NewReader("twelve bytes"))
	b := make([]byte, 5)
	if _, err := r.Read(b); err != nil || r.N() != 5 {
		t.Fatalf("after one read: %d, %v", r.N(), err)
	}
	rest, _ := io.ReadAll(r)
	if string(b)+string(rest) != "twelve bytes" || r.N() != 12 {
		t.Fatalf("read %q, counted %d", string(b)+string(rest), r.N())
	}
}
