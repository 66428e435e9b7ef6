package b64

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

func TestMatchesEncodingBase64(t *testing.T) {
	vector := hasAVX2
	t.Cleanup(func() { hasAVX2 = vector })
	for _, hasAVX2 = range []bool{vector, false} {
		matchesEncodingBase64(t)
	}
}

func matchesEncodingBase64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		want := base64.StdEncoding.EncodeToString(src)
		got := AppendEncode([]byte("pre"), src)
		if string(got) != "pre"+want {
			t.Fatalf("encode %d bytes: %q, want %q", n, got, want)
		}
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(want)))
		m, ok := Decode(dst, []byte(want))
		if !ok || !bytes.Equal(dst[:m], src) {
			t.Fatalf("decode %d bytes: %v %x", n, ok, dst[:m])
		}
	}
}

// TestDecodeEveryByteEverywhere puts each byte value at each position of a long valid string, so both the vector and
// the scalar rounds meet every character in every place, and holds Decode to encoding/base64's verdict.
func TestDecodeEveryByteEverywhere(t *testing.T) {
	vector := hasAVX2
	t.Cleanup(func() { hasAVX2 = vector })
	valid := []byte(base64.StdEncoding.EncodeToString([]byte("the quick brown fox jumps over the lazy dog, twice over!")))
	for _, hasAVX2 = range []bool{vector, false} {
		for pos := range valid {
			for c := range 256 {
				src := bytes.Clone(valid)
				src[pos] = byte(c)
				want := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
				wn, err := base64.StdEncoding.Strict().Decode(want, src)
				got := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
				gn, ok := Decode(got, src)
				if ok != (err == nil && c != '\r' && c != '\n') || ok && !bytes.Equal(got[:gn], want[:wn]) {
					t.Fatalf("vector %v: Decode(%q) = %x, %v; encoding/base64 says %x, %v", hasAVX2, src, got[:gn], ok, want[:wn], err)
				}
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY-VphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw=",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt\nbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==", "", "QQ==", "QR==", "QUJD", "QUJDRA", "QUJDREVGR0hJSks=", "QUJDREVGR0hJ\nSks=",
		"QUJDREVGR0hJSk=s", "QUJD=EVGR0hJSks=", "QUJDREVGR0hJSktM", "QUJDREVGR0hJSktMTQ==", "QUJDREVG*0hJSktMTQ=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		want := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
		wn, err := base64.StdEncoding.Strict().Decode(want, src)
		got := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
		gn, ok := Decode(got, src)
		hasBreak := bytes.ContainsAny(src, "\r\n")
		switch {
		case ok && (err != nil || hasBreak):
			t.Fatalf("Decode(%q) accepted what encoding/base64 refuses (%v) or a line break", src, err)
		case !ok && err == nil && !hasBreak:
			t.Fatalf("Decode(%q) refused what encoding/base64 accepts", src)
		case ok && !bytes.Equal(got[:gn], want[:wn]):
			t.Fatalf("Decode(%q) = %x, want %x", src, got[:gn], want[:wn])
		}
	})
}

func FuzzEncode(f *testing.F) {
	f.Add([]byte("hello, world"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if got, want := string(AppendEncode(nil, src)), base64.StdEncoding.EncodeToString(src); got != want {
			t.Fatalf("AppendEncode(%x) = %q, want %q", src, got, want)
		}
	})
}

var sink []byte

func payload() []byte {
	src := make([]byte, 1024)
	for i := range src {
		src[i] = byte(i * 7)
	}
	return src
}

func BenchmarkEncode(b *testing.B) {
	src := payload()
	dst := make([]byte, 0, 2048)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		sink = AppendEncode(dst, src)
	}
}

func BenchmarkEncodeStd(b *testing.B) {
	src := payload()
	dst := make([]byte, 0, 2048)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		sink = base64.StdEncoding.AppendEncode(dst, src)
	}
}

func BenchmarkDecode(b *testing.B) {
	src := []byte(base64.StdEncoding.EncodeToString(payload()))
	dst := make([]byte, 1024)
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		Decode(dst, src)
	}
}

func BenchmarkDecodeStd(b *testing.B) {
	src := []byte(base64.StdEncoding.EncodeToString(payload()))
	dst := make([]byte, 1024)
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		base64.StdEncoding.Decode(dst, src)
	}
}
