package randid

import (
	"regexp"
	"testing"
)

func TestShapes(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if a, b := UUID(), UUID(); !uuid.MatchString(a) || a == b {
		t.Fatalf("UUIDs %q, %q", a, b)
	}
	if h := Hex(8); len(h) != 16 || h == Hex(8) {
		t.Fatalf("Hex(8) = %q", h)
	}
}
