package tokenbucket

import (
	"testing"
	"time"
)

func TestTakeRefillAndBurst(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New(1000, 1000, t0)
	if !b.Take(1000, t0) {
		t.Fatal("a full bucket refused its burst")
	}
	if b.Take(1, t0) {
		t.Fatal("an empty bucket gave a token")
	}
	if !b.Take(500, t0.Add(500*time.Millisecond)) {
		t.Fatal("half a second did not refill half the rate")
	}
	if b.Take(1, t0.Add(500*time.Millisecond)) {
		t.Fatal("bucket over-refilled")
	}
	if got := b.Tokens(t0.Add(time.Hour)); got != 1000 {
		t.Fatalf("refill exceeded the burst: %v", got)
	}
}

func TestChargeGoesIntoDebt(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New(2, 2, t0)
	b.Charge(10, t0)
	if b.Positive(t0.Add(3 * time.Second)) {
		t.Fatal("debt of 8 tokens cleared in 3 s at 2/s")
	}
	if !b.Positive(t0.Add(4*time.Second + time.Millisecond)) {
		t.Fatal("debt not cleared after 4 s")
	}
}

func TestClockGoingBackwardsAddsNothing(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New(10, 10, t0)
	b.Take(10, t0)
	if b.Take(1, t0.Add(-time.Second)) {
		t.Fatal("a clock step back refilled the bucket")
	}
}
