package seqnum

import (
	"testing"
	"time"
)

func TestFormatParseRoundTrip(t *testing.T) {
	for _, c := range []struct {
		counter uint64
		shard   int
	}{{0, 0}, {1, 7}, {CounterAt(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) + 42, 123}, {^uint64(0), maxShardIdx}} {
		s := Format(c.counter, c.shard)
		if len(s) != Len {
			t.Fatalf("Format(%d, %d) = %q has %d digits", c.counter, c.shard, s, len(s))
		}
		gotC, gotS, err := Parse(s)
		if err != nil || gotC != c.counter || gotS != c.shard {
			t.Errorf("Parse(Format(%d, %d)) = %d, %d, %v", c.counter, c.shard, gotC, gotS, err)
		}
	}
}

func TestOrderFollowsCounter(t *testing.T) {
	// Lexical order of equal-length decimal strings is numeric order; storage and clients rely on it.
	if !(Format(5, 9) < Format(6, 0)) || !(Format(5, 0) < Format(5, 1)) {
		t.Fatal("sequence numbers do not sort by counter then shard")
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "1", "48" + Format(1, 1)[2:], Format(1, 1) + "0", "49x" + Format(1, 1)[3:]} {
		if _, _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func TestFloor(t *testing.T) {
	big := "9" + Format(0, 0)
	cases := []struct {
		in      string
		counter uint64
		ok, err bool
	}{
		{"0", 0, true, false},
		{"12345", 0, true, false},
		{Format(77, 3), 77, true, false},
		{"000" + Format(77, 3), 77, true, false},
		{big, 0, false, false},
		{"5" + Format(0, 0)[1:], 0, false, false},
		{"", 0, false, true},
		{"12a", 0, false, true},
	}
	for _, c := range cases {
		got, ok, err := Floor(c.in)
		if (err != nil) != c.err || ok != c.ok || got != c.counter {
			t.Errorf("Floor(%q) = %d, %v, %v", c.in, got, ok, err)
		}
	}
}

func TestTime(t *testing.T) {
	at := time.UnixMilli(1_790_000_000_123)
	if got := Time(CounterAt(at) + 99); !got.Equal(at) {
		t.Errorf("Time(CounterAt(%v)+99) = %v", at, got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Format(1, 2))
	f.Add("49")
	f.Fuzz(func(t *testing.T, s string) {
		c, idx, err := Parse(s)
		if err == nil && Format(c, idx) != s {
			t.Fatalf("Parse(%q) accepted a number that formats differently", s)
		}
		_, _, _ = Floor(s)
	})
}

// TestCounterAtFarFuture: a time past what a counter holds gives the largest counter, not a wrapped one that would
// put the year 58901 before today (how a misread CBOR timestamp once pointed AT_TIMESTAMP at a random place).
func TestCounterAtFarFuture(t *testing.T) {
	now := time.Date(2026, time.December, 7, 0, 0, 0, 0, time.UTC)
	for _, far := range []time.Time{time.Date(2600, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(now.UnixMilli(), 0)} {
		if CounterAt(far) <= CounterAt(now) {
			t.Errorf("CounterAt(%s) = %d is not after CounterAt(now) = %d", far, CounterAt(far), CounterAt(now))
		}
	}
	if CounterAt(time.Unix(-1, 0)) != 0 {
		t.Error("a time before the epoch is not counter 0")
	}
}
