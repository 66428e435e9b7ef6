// Package sketch finds the heaviest partition keys of a shard in bounded memory with the Space-Saving algorithm
// (Metwally et al.), decayed over time so the top list follows current traffic rather than all of history.
package sketch

import (
	"container/heap"
	"sort"
)

// Entry is one tracked key. Count over-estimates the true weight by at most Error.
type Entry struct {
	Key   string
	Count float64
	Error float64
	Share float64 // Count / total weight seen, in [0, 1]
}

// TopK tracks at most k keys. It is not safe for concurrent use.
type TopK struct {
	k       int
	total   float64
	index   map[string]*item
	minHeap itemHeap
}

type item struct {
	key   string
	count float64
	err   float64
	pos   int
}

// NewTopK returns a sketch that tracks k keys; k ≥ 1.
func NewTopK(k int) *TopK {
	return &TopK{k: k, index: make(map[string]*item, k)}
}

// Add counts weight for key. A key not tracked replaces the lightest one when the sketch is full and inherits its
// count as error, which is what bounds Space-Saving's over-estimate.
func (t *TopK) Add(key string, weight float64) {
	t.total += weight
	if it, ok := t.index[key]; ok {
		it.count += weight
		heap.Fix(&t.minHeap, it.pos)
		return
	}
	if len(t.minHeap) < t.k {
		it := &item{key: key, count: weight}
		t.index[key] = it
		heap.Push(&t.minHeap, it)
		return
	}
	lightest := t.minHeap[0]
	delete(t.index, lightest.key)
	lightest.key, lightest.err = key, lightest.count
	lightest.count += weight
	t.index[key] = lightest
	heap.Fix(&t.minHeap, 0)
}

// Decay multiplies every count (and the total) by factor in (0, 1), so old traffic fades.
func (t *TopK) Decay(factor float64) {
	t.total *= factor
	for _, it := range t.minHeap {
		it.count *= factor
		it.err *= factor
	}
}

// Total is the (decayed) weight seen.
func (t *TopK) Total() float64 { return t.total }

// Top returns up to n entries, heaviest first.
func (t *TopK) Top(n int) []Entry {
	out := make([]Entry, 0, len(t.minHeap))
	for _, it := range t.minHeap {
		e := Entry{Key: it.key, Count: it.count, Error: it.err}
		if t.total > 0 {
			e.Share = it.count / t.total
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

type itemHeap []*item

func (h itemHeap) Len() int           { return len(h) }
func (h itemHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h itemHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *itemHeap) Push(x any) {
	it := x.(*item)
	it.pos = len(*h)
	*h = append(*h, it)
}
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
