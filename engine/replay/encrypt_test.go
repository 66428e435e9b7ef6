package replay

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
)

// Replay with a key puts envelopes (keys from the plaintext, in the clear); capture with that key writes the
// plaintext back, and passes plaintext and other keys' records through as they are, counted.
func TestReplayEncryptsAndCaptureDecrypts(t *testing.T) {
	eng := openEngine(t)
	ctx := context.Background()
	create(t, eng, "s", 2)
	key, other := envelope.GenerateKey(), envelope.GenerateKey()

	// A capture whose keys are the plaintext's users, and one line already an envelope (under another key): that
	// one is put as it is, not sealed twice.
	var in []byte
	for i := range 20 {
		in = AppendLine(in, Record{Key: fmt.Sprint("u", i%3), Data: fmt.Appendf(nil, `{"user":"u%d","i":%d}`, i%3, i)})
	}
	in = AppendLine(in, Record{Key: "pre", Data: other.Seal(nil, []byte(`{"pre":1}`))})
	r, err := NewReader(bytes.NewReader(in), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := NewReplayer(eng, Options{Stream: "s", Encrypt: key})
	if err := rp.Run(ctx, r); err != nil {
		t.Fatal(err)
	}
	if rp.P.Put.Load() != 21 || rp.P.AlreadyEncrypted.Load() != 1 {
		t.Fatalf("put %d, already encrypted %d", rp.P.Put.Load(), rp.P.AlreadyEncrypted.Load())
	}
	// Two plaintext records and a damaged envelope beside them.
	broken := key.Seal(nil, []byte("x"))
	broken[len(broken)-1] ^= 1
	for _, d := range [][]byte{[]byte("plain one"), []byte(`{"plain":2}`), broken} {
		if _, err := eng.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: "s"}, PartitionKey: "p", Data: d}); err != nil {
			t.Fatal(err)
		}
	}

	// Without a key: the stream holds envelopes, keyed by the plaintext's user.
	var sealed bytes.Buffer
	if err := Capture(ctx, eng, &sealed, CaptureOptions{Stream: "s"}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed.String(), `"i":`) || !strings.Contains(sealed.String(), `"key":"u1"`) {
		t.Fatalf("stored records show their plaintext, or lost their keys:\n%s", sealed.String())
	}

	var out bytes.Buffer
	var p CaptureProgress
	if err := Capture(ctx, eng, &out, CaptureOptions{Stream: "s", Decrypt: key}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Records.Load() != 24 || p.Decrypted.Load() != 20 || p.Plain.Load() != 2 || p.OtherKey.Load() != 1 || p.Damaged.Load() != 1 {
		t.Fatalf("records %d: decrypted %d, plain %d, other key %d, damaged %d", p.Records.Load(), p.Decrypted.Load(),
			p.Plain.Load(), p.OtherKey.Load(), p.Damaged.Load())
	}
	ids, damage := p.OtherKeys()
	if len(ids) != 1 || ids[0] != other.ID() || !strings.Contains(damage, "does not authenticate") {
		t.Errorf("other keys %v, damage %q", ids, damage)
	}
	got := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		rec, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got[string(rec.Data)] = true
		if envelope.IsEnvelope(rec.Data) && rec.Key != "pre" && !bytes.Equal(rec.Data, broken) {
			t.Errorf("an envelope under the key given was written sealed: %s", line)
		}
	}
	for _, want := range []string{`{"user":"u2","i":5}`, "plain one", `{"plain":2}`} {
		if !got[want] {
			t.Errorf("capture lacks %q", want)
		}
	}
}

// Partition keys come from the plaintext (a key field, a key expression) and go in the clear.
func TestReplayEncryptKeysFromThePlaintext(t *testing.T) {
	eng := openEngine(t)
	ctx := context.Background()
	create(t, eng, "s", 1)
	key := envelope.GenerateKey()
	for _, opts := range []struct {
		ro  ReaderOptions
		key string
	}{{ReaderOptions{KeyField: "user"}, ""}, {ReaderOptions{}, "data.user + '-x'"}} {
		r, _ := NewReader(strings.NewReader(`{"user":"ada","n":1}`+"\n"), opts.ro)
		o := Options{Stream: "s", Encrypt: key}
		if opts.key != "" {
			o.Key, _ = KeyExpr(opts.key)
		}
		rp, _ := NewReplayer(eng, o)
		if err := rp.Run(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := Capture(ctx, eng, &out, CaptureOptions{Stream: "s", Decrypt: key}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"key":"ada"`) || !strings.Contains(out.String(), `"key":"ada-x"`) ||
		strings.Count(out.String(), `"data":{"user":"ada","n":1}`) != 2 {
		t.Errorf("capture:\n%s", out.String())
	}
}
