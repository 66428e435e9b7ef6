package engine

import "github.com/shardlab/shardlab/internal/hashkey"

// MinHotShare is the share of a shard's traffic its top key needs before a split at the hot key makes sense:
// below it the top key is noise (one of many under uniform keys), and the midpoint is the better cut.
const MinHotShare = 0.05

// HotKeySplitPoint is where a split at the hot key cuts a shard of range r whose heaviest key is hot: right beside
// the key's hash, on the side that leaves the key in the smaller child, so it shares its new shard with as little
// other traffic as the range allows. Kinesis takes a split point only in [start+2, end−1], so a key at an edge gets
// one neighbour for company. It reports false when the key is not heavy, hashes outside the range (an
// ExplicitHashKey put it there), or the range is too small to split.
func HotKeySplitPoint(r hashkey.Range, hot KeyShare) (hashkey.Key, bool) {
	if hot.Share < MinHotShare || !r.Contains(hot.Hash) {
		return hashkey.Key{}, false
	}
	lo := r.Start.Add1().Add1()
	if r.End.Cmp(lo) <= 0 { // three keys or fewer: no split point Kinesis accepts
		return hashkey.Key{}, false
	}
	hi := r.End.Sub1()
	h := hot.Hash
	at := h // the upper child is [h, end]
	if h.Less(r.Mid()) {
		at = h.Add1() // the lower child is [start, h]
	}
	if at.Less(lo) {
		at = lo
	}
	if hi.Less(at) {
		at = hi
	}
	return at, true
}
