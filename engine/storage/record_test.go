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
		v := AppendRecord(nil, FlagEncrypted, c.key, c.data)
		if len(v) != RecordSize(c.key, c.data) {
			t.Fatalf("RecordSize = %d, encoded %d", RecordSize(c.key, c.data), len(v))
		}
		flags, key, data, err := DecodeRecord(v)
		if err != nil || flags != FlagEncrypted || string(key) != c.key || !bytes.Equal(data, c.data) {
			t.Fatalf("round trip of %q: %v %q %d bytes %v", c.key, flags, key, len(data), err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(AppendRecord(nil, 0, "key", []byte("value")))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		flags, key, data, err := DecodeRecord(v)
		if err == nil && !bytes.Equal(AppendRecord(nil, flags, string(key), data), v) {
			if len(v) > 1 && v[1] < 0x80 { // canonical varints re-encode identically
				t.Fatalf("decode/encode mismatch for %x", v)
			}
		}
	})
}
