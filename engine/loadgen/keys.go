package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Distribution kinds: how partition keys are drawn.
const (
	Uniform = "uniform" // every one of Keys equally likely
	Zipf    = "zipf"    // key i (from 1) weighted 1/i^ZipfExponent: a few heavy keys and a long tail
	HotKey  = "hotkey"  // one key takes HotShare of the traffic, the rest is uniform over the others
)

// KeyDistribution says how partition keys are drawn for a generator.
type KeyDistribution struct {
	Kind         string  `json:"kind"`
	Keys         int     `json:"keys"`                   // how many distinct keys, 1–1,000,000
	ZipfExponent float64 `json:"zipfExponent,omitempty"` // Zipf's s, 0–5 (0 is uniform)
	HotShare     float64 `json:"hotShare,omitempty"`     // the hot key's share, 0–1
}

// MaxKeys bounds a distribution's key count, which sizes the Zipf table.
const MaxKeys = 1_000_000

// Validate names the field and the limit of the first bad setting.
func (d KeyDistribution) Validate() error {
	switch d.Kind {
	case Uniform, Zipf, HotKey:
	default:
		return fmt.Errorf("key distribution %q: must be %s, %s or %s", d.Kind, Uniform, Zipf, HotKey)
	}
	if d.Keys < 1 || d.Keys > MaxKeys {
		return fmt.Errorf("keys %d: must be between 1 and %d", d.Keys, MaxKeys)
	}
	if d.Kind == Zipf && (d.ZipfExponent < 0 || d.ZipfExponent > 5 || math.IsNaN(d.ZipfExponent)) {
		return fmt.Errorf("zipf exponent %g: must be between 0 and 5", d.ZipfExponent)
	}
	if d.Kind == HotKey && (d.HotShare < 0 || d.HotShare > 1 || math.IsNaN(d.HotShare)) {
		return fmt.Errorf("hot key share %g: must be between 0 and 100 %%", d.HotShare*100)
	}
	return nil
}

// keyPicker draws key indexes in [0, Keys) following a KeyDistribution.
type keyPicker struct {
	dist KeyDistribution
	cdf  []float64 // Zipf only: cumulative weights, normalised to end at 1
}

func newKeyPicker(d KeyDistribution) *keyPicker {
	p := &keyPicker{dist: d}
	if d.Kind == Zipf {
		p.cdf = make([]float64, d.Keys)
		var sum float64
		for i := range p.cdf {
			sum += math.Pow(float64(i+1), -d.ZipfExponent)
			p.cdf[i] = sum
		}
		for i := range p.cdf {
			p.cdf[i] /= sum
		}
	}
	return p
}

func (p *keyPicker) pick(r *rand.Rand) int {
	switch p.dist.Kind {
	case Zipf:
		u := r.Float64()
		i := sort.SearchFloat64s(p.cdf, u)
		if i >= len(p.cdf) {
			i = len(p.cdf) - 1
		}
		return i
	case HotKey:
		if p.dist.Keys == 1 || r.Float64() < p.dist.HotShare {
			return 0
		}
		return 1 + r.IntN(p.dist.Keys-1)
	default:
		return r.IntN(p.dist.Keys)
	}
}
