package hashkey

import (
	"testing"
)

func TestFromPartitionKeyMatchesKinesis(t *testing.T) {
	// MD5("a") = 0cc175b9c0f1b6a831c399e269772661; Kinesis reads it as a big-endian unsigned integer.
	got := FromPartitionKey("a").String()
	if want := "16955237001963240173058271559858726497"; got != want {
		t.Fatalf("hash of %q = %s, want %s", "a", got, want)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    Key
		wantErr error
	}{
		{"0", Key{}, nil},
		{"1", Key{0, 1}, nil},
		{"18446744073709551616", Key{1, 0}, nil},
		{"340282366920938463463374607431768211455", Max, nil},
		{"340282366920938463463374607431768211456", Key{}, ErrRange},
		{"999999999999999999999999999999999999999", Key{}, ErrRange},
		{"", Key{}, ErrSyntax},
		{"01", Key{}, ErrSyntax},
		{"-1", Key{}, ErrSyntax},
		{"1e5", Key{}, ErrSyntax},
		{"1000000000000000000000000000000000000000", Key{}, ErrSyntax},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != c.wantErr || (err == nil && got != c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", c.in, got, err, c.want, c.wantErr)
		}
		if err == nil && got.String() != c.in {
			t.Errorf("round trip of %q gave %q", c.in, got.String())
		}
	}
}

func TestEvenSplitMatchesKinesisBoundaries(t *testing.T) {
	cases := []struct {
		n      int
		starts []string
	}{
		{1, []string{"0"}},
		{3, []string{"0", "113427455640312821154458202477256070485", "226854911280625642308916404954512140970"}},
		{4, []string{"0", "85070591730234615865843651857942052864", "170141183460469231731687303715884105728",
			"255211775190703847597530955573826158592"}},
	}
	for _, c := range cases {
		rs := EvenSplit(c.n)
		if len(rs) != c.n {
			t.Fatalf("EvenSplit(%d) gave %d ranges", c.n, len(rs))
		}
		for i, r := range rs {
			if r.Start.String() != c.starts[i] {
				t.Errorf("EvenSplit(%d)[%d].Start = %s, want %s", c.n, i, r.Start, c.starts[i])
			}
			if i > 0 && !rs[i-1].Adjacent(r) {
				t.Errorf("EvenSplit(%d): ranges %d and %d are not adjacent", c.n, i-1, i)
			}
		}
		if rs[len(rs)-1].End != Max {
			t.Errorf("EvenSplit(%d) does not end at 2^128-1", c.n)
		}
	}
}

func TestMid(t *testing.T) {
	cases := []struct {
		r    Range
		want Key
	}{
		{Range{Key{}, Max}, Key{1 << 63, 0}},
		{Range{Key{0, 10}, Key{0, 11}}, Key{0, 11}},
		{Range{Key{0, 10}, Key{0, 12}}, Key{0, 12}},
		{Range{Key{0, ^uint64(0)}, Key{1, 1}}, Key{1, 1}},
	}
	for _, c := range cases {
		if got := c.r.Mid(); got != c.want {
			t.Errorf("Mid(%v) = %v, want %v", c.r, got, c.want)
		}
		if !c.r.Contains(c.r.Mid()) || c.r.Mid() == c.r.Start {
			t.Errorf("Mid(%v) must lie in (start, end]", c.r)
		}
	}
}

func TestCmpAndArithmetic(t *testing.T) {
	if (Key{0, ^uint64(0)}).Add1() != (Key{1, 0}) {
		t.Error("Add1 does not carry")
	}
	if (Key{1, 0}).Sub1() != (Key{0, ^uint64(0)}) {
		t.Error("Sub1 does not borrow")
	}
	if !(Key{0, 5}).Less(Key{1, 0}) || (Key{1, 0}).Less(Key{0, 5}) {
		t.Error("Less ignores the high word")
	}
	if f := Max.Fraction(); f < 0.999 || f > 1 {
		t.Errorf("Max.Fraction() = %v", f)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1", "340282366920938463463374607431768211455", "01", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err == nil && k.String() != s {
			t.Fatalf("Parse(%q) accepted but formats as %q", s, k.String())
		}
	})
}
