package main

import (
	"slices"
	"time"
)

// latencySummary is the distribution of one latency figure. The benchmark keeps at most a few hundred thousand
// samples, so sorting them all gives exact percentiles at no real cost and no bucket-width error.
type latencySummary struct {
	n             int
	p50, p99, max time.Duration
}

func summarize(samples []time.Duration) latencySummary {
	if len(samples) == 0 {
		return latencySummary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return latencySummary{n: len(s), p50: percentile(s, 0.50), p99: percentile(s, 0.99), max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile of sorted samples: the smallest sample at or above fraction p of them.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
