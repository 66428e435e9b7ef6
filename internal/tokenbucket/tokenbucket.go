// Package tokenbucket meters a rate with a burst of one second's worth, the way Kinesis meters shard throughput.
// It takes the time as an argument so callers decide the clock and tests need no sleeping.
package tokenbucket

import "time"

// Bucket holds up to Burst tokens and refills at Rate tokens per second. It is not safe for concurrent use.
type Bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// New returns a full bucket.
func New(rate, burst float64, now time.Time) *Bucket {
	return &Bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// Reset changes the rate and burst and refills the bucket.
func (b *Bucket) Reset(rate, burst float64, now time.Time) {
	*b = Bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

func (b *Bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens += dt * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
}

// Take removes n tokens if that many are available and reports whether it did.
func (b *Bucket) Take(n float64, now time.Time) bool {
	b.refill(now)
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// Positive reports whether the bucket has any tokens, for limits charged after the work is done.
func (b *Bucket) Positive(now time.Time) bool {
	b.refill(now)
	return b.tokens > 0
}

// Charge removes n tokens even if that leaves the bucket in debt, which later calls then wait out.
func (b *Bucket) Charge(n float64, now time.Time) {
	b.refill(now)
	b.tokens -= n
}

// Tokens returns what is available now.
func (b *Bucket) Tokens(now time.Time) float64 {
	b.refill(now)
	return b.tokens
}
