package bench

import (
	"slices"
	"time"
)

// Latency is the distribution of one latency figure. The benchmarks keep at most a few hundred thousand samples,
// so sorting them all gives exact percentiles at no real cost and no bucket-width error.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

// Summarize sorts a copy of samples and reads the figures off it.
func Summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return Latency{N: len(s), P50: percentile(s, 0.50), P99: percentile(s, 0.99), Max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile of sorted samples: the smallest sample at or above fraction p of them.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
