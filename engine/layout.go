package engine

import (
	"sort"
	"time"

	"github.com/shardlab/shardlab/internal/hashkey"
)

// layout is a working copy of a stream's open shards that a resharding plan edits with splits and merges. Nothing
// in it is visible until applyLayout persists it, so a plan that fails half way changes nothing.
type layout struct {
	now     time.Time
	closeAt uint64 // the counter parents end at; children start after it
	next    int    // next shard index to assign
	metas   map[int]shardMeta
	open    []int // open shard indexes by hash range
	changed []int // shards closed or created, in order
}

func newLayout(s *stream, now time.Time) *layout {
	l := &layout{now: now, closeAt: max(s.counter, s.meta.CreatedCounter), next: s.meta.NextShardIndex,
		metas: map[int]shardMeta{}}
	for _, sh := range s.open {
		l.metas[sh.index] = sh.meta
		l.open = append(l.open, sh.index)
	}
	return l
}

func (l *layout) sortOpen() {
	sort.Slice(l.open, func(i, j int) bool { return l.metas[l.open[i]].Start.Less(l.metas[l.open[j]].Start) })
}

func (l *layout) close(idx int) {
	m := l.metas[idx]
	// A shard opened and closed by the same plan (a step of UpdateShardCount) never holds a record; it ends where
	// it starts rather than before.
	m.EndCounter, m.Closed = max(l.closeAt, m.StartCounter), l.now
	l.metas[idx] = m
	l.changed = append(l.changed, idx)
	for i, o := range l.open {
		if o == idx {
			l.open = append(l.open[:i], l.open[i+1:]...)
			break
		}
	}
}

func (l *layout) create(r hashkey.Range, parent, adjacent int) {
	idx := l.next
	l.next++
	l.metas[idx] = shardMeta{Index: idx, Parent: parent, AdjacentParent: adjacent, Start: r.Start, End: r.End,
		StartCounter: l.closeAt + 1, Created: l.now}
	l.open = append(l.open, idx)
	l.changed = append(l.changed, idx)
	l.sortOpen()
}

// split closes shard idx and opens [start, at−1] and [at, end] as its children.
func (l *layout) split(idx int, at hashkey.Key) {
	p := l.metas[idx]
	l.close(idx)
	l.create(hashkey.Range{Start: p.Start, End: at.Sub1()}, idx, -1)
	l.create(hashkey.Range{Start: at, End: p.End}, idx, -1)
}

// merge closes shards a and b, which must be adjacent, and opens one child covering both; a is its ParentShardId.
func (l *layout) merge(a, b int) {
	ma, mb := l.metas[a], l.metas[b]
	lo, hi := ma, mb
	if mb.Start.Less(ma.Start) {
		lo, hi = mb, ma
	}
	l.close(a)
	l.close(b)
	l.create(hashkey.Range{Start: lo.Start, End: hi.End}, a, b)
}

// scaleUniformly reaches target evenly sized shards: first split every open shard that straddles a target boundary,
// then merge neighbours inside each target range until one shard covers it.
func (l *layout) scaleUniformly(target int) {
	targets := hashkey.EvenSplit(target)
	for _, r := range targets[1:] {
		for _, idx := range l.open {
			if m := l.metas[idx]; m.Start.Less(r.Start) && !m.End.Less(r.Start) {
				l.split(idx, r.Start)
				break
			}
		}
	}
	for _, r := range targets {
		for {
			inside := l.openWithin(r)
			if len(inside) < 2 {
				break
			}
			l.merge(inside[0], inside[1])
		}
	}
}

// openWithin lists the open shards whose ranges lie inside r, by range.
func (l *layout) openWithin(r hashkey.Range) []int {
	var out []int
	for _, idx := range l.open {
		if m := l.metas[idx]; r.Contains(m.Start) && r.Contains(m.End) {
			out = append(out, idx)
		}
	}
	return out
}
