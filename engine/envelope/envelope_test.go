package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixedKey is a key from known bytes, so fuzz seeds stay valid envelopes run after run.
func fixedKey(t testing.TB, b byte) *Key {
	t.Helper()
	k, err := NewKey(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k, other := fixedKey(t, 1), fixedKey(t, 2)
	plain := []byte(`{"user":"user-0001","page":"/checkout"}`)
	env := k.Seal(nil, plain)
	flip := func(i int) []byte { b := bytes.Clone(env); b[i] ^= 0x01; return b }
	cases := []struct {
		name  string
		key   *Key
		in    []byte
		want  []byte
		isErr error
		text  string // in the message
	}{
		{name: "round trip", key: k, in: env, want: plain},
		{name: "empty plaintext", key: k, in: k.Seal(nil, nil), want: []byte{}},
		{name: "wrong key", key: other, in: env, text: "encrypted with key " + k.ID() + ", you gave key " + other.ID()},
		{name: "tampered ciphertext", key: k, in: flip(len(env) - 20), isErr: ErrAuth, text: "its data"},
		{name: "tampered tag", key: k, in: flip(len(env) - 1), isErr: ErrAuth},
		{name: "tampered wrapped key", key: k, in: flip(offWrapped + 3), isErr: ErrAuth, text: "its data key"},
		{name: "tampered wrap nonce", key: k, in: flip(offWrapNonce), isErr: ErrAuth},
		{name: "tampered data nonce", key: k, in: flip(offDataNonce + 11), isErr: ErrAuth, text: "its data"},
		{name: "tampered key id reads as another key", key: k, in: flip(offKeyID), text: "you gave key " + k.ID()},
		{name: "other version", key: k, in: flip(offVersion), isErr: ErrVersion, text: "version 0"},
		{name: "truncated to the header", key: k, in: env[:headerLen], isErr: ErrTruncated, text: "85 bytes"},
		{name: "truncated to the magic", key: k, in: env[:4], isErr: ErrTruncated},
		{name: "one byte short", key: k, in: env[:len(env)-1], isErr: ErrAuth},
		{name: "extra byte", key: k, in: append(bytes.Clone(env), 0), isErr: ErrAuth},
		{name: "JSON is not an envelope", key: k, in: plain, isErr: ErrNotEnvelope},
		{name: "empty is not an envelope", key: k, in: nil, isErr: ErrNotEnvelope},
		{name: "text like the magic is not one", key: k, in: []byte("SLE1 hello"), isErr: ErrNotEnvelope},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.key.Open(nil, c.in)
			if c.want != nil {
				if err != nil || !bytes.Equal(got, c.want) {
					t.Fatalf("Open = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Open succeeded with %q", got)
			}
			if c.isErr != nil && !errors.Is(err, c.isErr) {
				t.Errorf("error %q is not %q", err, c.isErr)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not say %q", err, c.text)
			}
		})
	}
	var wk *WrongKeyError
	if _, err := other.Open(nil, env); !errors.As(err, &wk) || wk.Record != k.ID() || wk.Given != other.ID() {
		t.Errorf("wrong key: %v", err)
	}
}

func TestEnvelopeLayout(t *testing.T) {
	k := fixedKey(t, 7)
	plain := []byte("hello")
	env := k.Seal([]byte("prefix"), plain)
	if !bytes.HasPrefix(env, []byte("prefix")) {
		t.Fatal("Seal does not append to dst")
	}
	env = env[len("prefix"):]
	if len(env) != len(plain)+Overhead || Overhead != 101 {
		t.Fatalf("envelope of %d bytes is %d, overhead %d", len(plain), len(env), Overhead)
	}
	if got := hex.EncodeToString(env[:5]); got != "f5534c4501" {
		t.Errorf("magic and version %s", got)
	}
	h, err := Inspect(env)
	if err != nil || h.KeyID != k.ID() || len(h.KeyID) != 16 || len(h.Ciphertext) != len(plain)+tagSize {
		t.Fatalf("Inspect = %+v, %v", h, err)
	}
	if bytes.Contains(env, plain) {
		t.Error("the plaintext shows in the envelope")
	}
	if again := k.Seal(nil, plain); bytes.Equal(again[offKeyID+idSize:], env[offKeyID+idSize:]) {
		t.Error("two seals of one plaintext are equal: the data key or nonce is not fresh")
	}
	// The id is the key's, stable across loads.
	k2 := fixedKey(t, 7)
	if k2.ID() != k.ID() || fixedKey(t, 8).ID() == k.ID() {
		t.Error("key ids are not a function of the key")
	}
	if _, err := NewKey(make([]byte, 16)); err == nil {
		t.Error("a 16-byte master key is accepted")
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.key")
	k := GenerateKey()
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode(), err)
	}
	got, err := LoadKeyFile(path)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("load: %v, %v", got, err)
	}
	if err := WriteKeyFile(path, GenerateKey()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwrite: %v", err)
	}
	if again, _ := LoadKeyFile(path); again.ID() != k.ID() {
		t.Error("a refused overwrite changed the file")
	}
	text := string(KeyFileText(k))
	line := strings.Split(strings.TrimSpace(text), "\n")[2]
	cases := []struct{ name, content, want string }{
		{"bare key line", line + "\n", ""},
		{"no newline, CRLF comments", "# a comment\r\n" + line, ""},
		{"empty", "", "no key line"},
		{"only comments", "# nothing\n", "no key line"},
		{"not base64", "# a comment\nnot base64!\n", "line 2 is neither a comment nor a key"},
		{"short key", "AAAA\n", "line 1: the key is 3 bytes"},
		{"two keys", line + "\n" + line + "\n", "line 2: a second key;"},
		{"comment names another id", "# key id 0000000000000000\n" + line, "comment says key id 0000000000000000"},
		{"too big", strings.Repeat("#", maxKeyFile+1), "more than 4096 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			os.WriteFile(p, []byte(c.content), 0o600)
			got, err := LoadKeyFile(p)
			if c.want == "" {
				if err != nil || got.ID() != k.ID() {
					t.Fatalf("load = %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v: want one naming %s and saying %q", err, p, c.want)
			}
		})
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzOpen: whatever the bytes, Open returns an error or the plaintext — never a panic — and it only succeeds on
// what the key sealed (the seeds' mutations must fail authentication).
func FuzzOpen(f *testing.F) {
	k := fixedKey(f, 3)
	f.Add(k.Seal(nil, []byte(`{"a":1}`)))
	f.Add(k.Seal(nil, nil))
	f.Add(fixedKey(f, 4).Seal(nil, []byte("other key")))
	f.Add([]byte(Magic))
	f.Add([]byte(Magic + "\x01"))
	f.Add([]byte(Magic + "\x02" + strings.Repeat("x", 200)))
	f.Add([]byte(`{"plain":"json"}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := k.Open(nil, in)
		if err != nil {
			if out != nil {
				t.Fatalf("Open returned data with its error %v", err)
			}
			return
		}
		if !IsEnvelope(in) || len(in) != len(out)+Overhead {
			t.Fatalf("opened %d bytes into %d: not an envelope's shape", len(in), len(out))
		}
		if h, err := Inspect(in); err != nil || h.KeyID != k.ID() {
			t.Fatalf("opened, but Inspect says %+v, %v", h, err)
		}
	})
}

// FuzzRoundTrip: every plaintext comes back from its envelope unchanged.
func FuzzRoundTrip(f *testing.F) {
	k := fixedKey(f, 5)
	f.Add([]byte("hello"))
	f.Add([]byte{})
	f.Add([]byte(Magic + "\x01 looks like a header"))
	f.Fuzz(func(t *testing.T, plain []byte) {
		out, err := k.Open(nil, k.Seal(nil, plain))
		if err != nil || !bytes.Equal(out, plain) {
			t.Fatalf("round trip of %q: %q, %v", plain, out, err)
		}
	})
}

// FuzzParseKeyFile: a key file's parser answers a key or an error naming the file, never a panic.
func FuzzParseKeyFile(f *testing.F) {
	f.Add(KeyFileText(fixedKey(f, 6)))
	f.Add([]byte("# key id 0123456789abcdef\nAAAA\n"))
	f.Add([]byte("\n\n#\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeyFile("fuzz.key", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.key") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if again, err := ParseKeyFile("again", KeyFileText(k)); err != nil || again.ID() != k.ID() {
			t.Fatalf("a parsed key does not write back: %v", err)
		}
	})
}

func TestReveal(t *testing.T) {
	k, other := fixedKey(t, 1), fixedKey(t, 2)
	env := k.Seal(nil, []byte("secret"))
	bad := bytes.Clone(env)
	bad[len(bad)-1] ^= 1
	cases := []struct {
		name  string
		key   *Key
		in    []byte
		state State
		data  string
		id    string
	}{
		{"plain with a key", k, []byte("plain"), Plain, "plain", ""},
		{"plain without", nil, []byte("plain"), Plain, "plain", ""},
		{"opened", k, env, Decrypted, "secret", k.ID()},
		{"no key", nil, env, Sealed, string(env), k.ID()},
		{"other key", other, env, OtherKey, string(env), k.ID()},
		{"damaged", k, bad, Damaged, string(bad), k.ID()},
		{"truncated, no key", nil, env[:10], Damaged, string(env[:10]), ""},
	}
	for _, c := range cases {
		r := Reveal(c.key, c.in)
		if r.State != c.state || string(r.Data) != c.data || r.KeyID != c.id || (r.Err != nil) != (c.state >= OtherKey) {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k := GenerateKey()
	plain := bytes.Repeat([]byte("x"), 256)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = k.Seal(buf[:0], plain)
	}
}

func BenchmarkOpen(b *testing.B) {
	k := GenerateKey()
	env := k.Seal(nil, bytes.Repeat([]byte("x"), 256))
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = k.Open(buf[:0], env)
	}
}
