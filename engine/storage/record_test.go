package storage

import (
	"bytes"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, c := range []struct {
		key  string
		data []byte
	}{{"k", []byte("data")}, {"ключ", nil}, {string(make([]byte, 256)), make([]byte, 1<<20)}} {
		v := AppendRecord(nil, c.key, c.data)
		if len(v) != RecordSize(c.key, c.data) {
			t.Fatalf("RecordSize = %d, encoded %d", RecordSize(c.key, c.data), len(v))
		}
		flags, _, key, data, err := DecodeRecord(v)
		if err != nil || flags != 0 || string(key) != c.key || !bytes.Equal(data, c.data) {
			t.Fatalf("round trip of %q: %v %q %d bytes %v", c.key, flags, key, len(data), err)
		}
	}
}

func TestSealedRecordFraming(t *testing.T) {
	v := append(AppendSealedHeader(nil, 300), "sealed-bytes"...)
	flags, num, key, body, err := DecodeRecord(v)
	if err != nil || flags != FlagEncrypted || num != 300 || key != nil || string(body) != "sealed-bytes" {
		t.Fatalf("sealed record decoded as %v %d %q %q %v", flags, num, key, body, err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(AppendRecord(nil, "key", []byte("value")))
	f.Add(AppendSealedHeader(nil, 7))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		flags, _, key, data, err := DecodeRecord(v)
		if err == nil && flags == 0 && len(v) > 1 && v[1] < 0x80 && !bytes.Equal(AppendRecord(nil, string(key), data), v) {
			t.Fatalf("decode/encode mismatch for %x", v) // one-byte (canonical) lengths must re-encode identically
		}
	})
}
