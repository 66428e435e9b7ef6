package sketch

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestFindsHotKeyAmongMany(t *testing.T) {
	s := NewTopK(16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100_000 {
		if i%10 < 3 { // 30 % of traffic on one key
			s.Add("hot", 1)
		} else {
			s.Add(fmt.Sprintf("k%d", r.IntN(10_000)), 1)
		}
	}
	top := s.Top(3)
	if top[0].Key != "hot" {
		t.Fatalf("top key = %q, want hot; top = %+v", top[0].Key, top)
	}
	if top[0].Share < 0.29 || top[0].Share-top[0].Error/s.Total() > 0.31 {
		t.Fatalf("hot share = %.3f (error %.0f), want about 0.30", top[0].Share, top[0].Error)
	}
}

func TestExactWhenFewKeys(t *testing.T) {
	s := NewTopK(4)
	for i, k := range []string{"a", "b", "c"} {
		s.Add(k, float64(i+1))
	}
	top := s.Top(10)
	want := []string{"c", "b", "a"}
	if len(top) != 3 {
		t.Fatalf("got %d entries", len(top))
	}
	for i := range want {
		if top[i].Key != want[i] || top[i].Error != 0 {
			t.Errorf("entry %d = %+v, want key %s with no error", i, top[i], want[i])
		}
	}
}

func TestDecayLetsNewHotKeyWin(t *testing.T) {
	s := NewTopK(8)
	for range 1000 {
		s.Add("old", 1)
	}
	for range 10 {
		s.Decay(0.5)
		for range 100 {
			s.Add("new", 1)
		}
	}
	if top := s.Top(1); top[0].Key != "new" {
		t.Fatalf("after decay the top key is %q, want new", top[0].Key)
	}
}

func BenchmarkAdd(b *testing.B) {
	s := NewTopK(32)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Add(keys[i&4095], 1)
	}
}
