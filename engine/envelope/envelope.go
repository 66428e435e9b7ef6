// Package envelope is Shardlab's client-side record encryption: an envelope scheme in the manner of the AWS
// Encryption SDK over KMS, with a local master key in a key file instead of KMS. It is NOT compatible with the AWS
// Encryption SDK's message format; docs/encryption.md is the reference.
//
// The master key (256 bits, the key encryption key) lives in a key file the user holds. Each record gets a fresh
// random 256-bit data key; the data key is sealed with AES-256-GCM under a wrapping key derived from the master
// key, and the record's data is sealed with AES-256-GCM under the data key. The stored record is
//
//	offset  size  field
//	     0     4  magic F5 53 4C 45 ("\xf5SLE"; 0xF5 never begins UTF-8 text, so no text or JSON is mistaken for one)
//	     4     1  version, 01
//	     5     8  key id: HKDF-SHA256(master key, info "shardlab envelope v1 key id"), 8 bytes
//	    13    12  wrap nonce (random)
//	    25    48  wrapped data key: AES-256-GCM(wrapping key, wrap nonce, data key, AAD = bytes 0–12), tag included
//	    73    12  data nonce (random)
//	    85  n+16  AES-256-GCM(data key, data nonce, plaintext, AAD = bytes 0–84), tag included
//
// so an envelope is 101 bytes longer than its plaintext. The key id is there so a record opened with another key
// is reported as "encrypted with key A, you gave key B" rather than as a failed authentication.
//
// Caveats, all in docs/encryption.md: only the data is protected. The partition key (Kinesis routes on it), the
// explicit hash key, the size (plaintext length = stored length − 101), the arrival time and the sequence number
// are in the clear, and neither the stream nor the partition key is bound into the envelope, so a record copied to
// another stream or key still opens. Records under one key share its key id, which links them. One master key
// should wrap fewer than 2^32 data keys (the limit for AES-GCM with random nonces); make a new key file before.
//
// Only Go's standard crypto is used: crypto/aes, crypto/cipher, crypto/hkdf, crypto/sha256 and crypto/rand.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// The envelope's layout, as in the package comment.
const (
	Magic      = "\xf5SLE"
	Version    = 1
	KeySize    = 32 // AES-256, for the master key and every data key
	idSize     = 8
	nonceSize  = 12
	tagSize    = 16
	wrappedLen = KeySize + tagSize

	offVersion   = len(Magic)
	offKeyID     = offVersion + 1
	offWrapNonce = offKeyID + idSize
	offWrapped   = offWrapNonce + nonceSize
	offDataNonce = offWrapped + wrappedLen
	headerLen    = offDataNonce + nonceSize

	// Overhead is how many bytes an envelope adds to its plaintext.
	Overhead = headerLen + tagSize
)

// HKDF info strings: the master key is never used directly, and each use gets its own derived key.
const (
	infoKeyID = "shardlab envelope v1 key id"
	infoWrap  = "shardlab envelope v1 wrap"
)

// Errors of Open and Inspect; each is wrapped with detail, so test them with errors.Is. A wrong key is a
// *WrongKeyError.
var (
	ErrNotEnvelope = errors.New("not an envelope: the data does not begin with Shardlab's envelope header")
	ErrTruncated   = errors.New("envelope truncated")
	ErrVersion     = errors.New("envelope version not supported")
	ErrAuth        = errors.New("envelope does not authenticate: it was altered or damaged")
)

// WrongKeyError is Open's answer for an envelope sealed under another master key.
type WrongKeyError struct {
	Record, Given string // key ids
}

func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("encrypted with key %s, you gave key %s", e.Record, e.Given)
}

// Key is a loaded master key: its id and the derived wrapping cipher. Safe for concurrent use.
//
// A fresh data key per record (rather than one per batch or run) costs one extra 32-byte seal and 48 bytes that
// every record would carry anyway — a Kinesis reader may start at any record, so each must hold its wrapped key —
// and buys records that stand alone: none can be linked to its batch-mates by a shared wrapped key, and each data
// key seals exactly one message, so its random nonce can never repeat.
type Key struct {
	master []byte
	id     [idSize]byte
	wrap   cipher.AEAD
}

// GenerateKey makes a new random master key.
func GenerateKey() *Key {
	k, _ := NewKey(randomBytes(KeySize)) // 32 bytes is always a key
	return k
}

// NewKey loads a master key from its 32 bytes (copied).
func NewKey(master []byte) (*Key, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("a master key is %d bytes, not %d", KeySize, len(master))
	}
	k := &Key{master: append([]byte(nil), master...)}
	id, err := hkdf.Key(sha256.New, k.master, nil, infoKeyID, idSize)
	if err != nil {
		return nil, err
	}
	copy(k.id[:], id)
	wrapKey, err := hkdf.Key(sha256.New, k.master, nil, infoWrap, KeySize)
	if err != nil {
		return nil, err
	}
	if k.wrap, err = newGCM(wrapKey); err != nil {
		return nil, err
	}
	return k, nil
}

// ID is the key's id as 16 lowercase hex digits, as envelopes carry it and messages name it.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

// Seal appends plaintext's envelope to dst and returns the result. It cannot fail: crypto/rand does not. dst grows
// once, so a producer sealing a batch into one buffer allocates little beyond the data key's cipher.
func (k *Key) Seal(dst, plaintext []byte) []byte {
	var dataKey [KeySize]byte
	rand.Read(dataKey[:])
	data, _ := newGCM(dataKey[:]) // 32 bytes is always a key
	start := len(dst)
	dst = slices.Grow(dst, Overhead+len(plaintext))
	dst = append(dst, Magic...)
	dst = append(dst, Version)
	dst = append(dst, k.id[:]...)
	dst = appendRandom(dst, nonceSize)
	h := dst[start:]
	dst = k.wrap.Seal(dst, h[offWrapNonce:offWrapped], dataKey[:], h[:offWrapNonce])
	dst = appendRandom(dst, nonceSize)
	h = dst[start:]
	return data.Seal(dst, h[offDataNonce:headerLen], plaintext, h[:headerLen])
}

// Open checks env and appends its plaintext to dst. It never panics: anything that is not an intact envelope
// under this key is an error saying which (ErrNotEnvelope, ErrTruncated, ErrVersion, *WrongKeyError, ErrAuth).
func (k *Key) Open(dst, env []byte) ([]byte, error) {
	h, err := Inspect(env)
	if err != nil {
		return nil, err
	}
	if h.KeyID != k.ID() {
		return nil, &WrongKeyError{Record: h.KeyID, Given: k.ID()}
	}
	dataKey, err := k.wrap.Open(nil, env[offWrapNonce:offWrapped], env[offWrapped:offDataNonce], env[:offWrapNonce])
	if err != nil {
		return nil, fmt.Errorf("%w (its data key, under key %s)", ErrAuth, h.KeyID)
	}
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	out, err := data.Open(dst, env[offDataNonce:headerLen], env[headerLen:], env[:headerLen])
	if err != nil {
		return nil, fmt.Errorf("%w (its data, under key %s)", ErrAuth, h.KeyID)
	}
	return out, nil
}

// Header is what an envelope says about itself without a key.
type Header struct {
	Version int
	KeyID   string
	// Ciphertext is the sealed data with its tag; its length is the plaintext's plus 16.
	Ciphertext []byte
}

// IsEnvelope reports data that begins with the envelope's magic, whatever follows: such a record is shown and
// counted as encrypted (and, if it is not intact, as damaged), never as plaintext.
func IsEnvelope(data []byte) bool {
	return len(data) >= len(Magic) && string(data[:len(Magic)]) == Magic
}

// Inspect reads an envelope's header, checking its magic, version and length but not its authenticity.
func Inspect(env []byte) (Header, error) {
	if !IsEnvelope(env) {
		return Header{}, ErrNotEnvelope
	}
	if len(env) <= offVersion {
		return Header{}, fmt.Errorf("%w: %d bytes, an envelope has at least %d", ErrTruncated, len(env), Overhead)
	}
	if v := env[offVersion]; v != Version {
		return Header{}, fmt.Errorf("%w: version %d, this Shardlab reads version %d", ErrVersion, v, Version)
	}
	if len(env) < Overhead {
		return Header{}, fmt.Errorf("%w: %d bytes, an envelope has at least %d", ErrTruncated, len(env), Overhead)
	}
	return Header{Version: Version, KeyID: hex.EncodeToString(env[offKeyID:offWrapNonce]), Ciphertext: env[headerLen:]}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func randomBytes(n int) []byte { return appendRandom(nil, n) }

// appendRandom appends n bytes from crypto/rand, which never fails (Go 1.24+: a failing system source crashes the
// program rather than return an error).
func appendRandom(dst []byte, n int) []byte {
	dst = slices.Grow(dst, n)
	rand.Read(dst[len(dst) : len(dst)+n])
	return dst[:len(dst)+n]
}

// State is what a record's data turned out to be when a reader tried its key on it.
type State int

const (
	Plain     State = iota // not an envelope: the data as it is
	Decrypted              // an envelope under the key given, opened
	Sealed                 // an envelope, and no key was given
	OtherKey               // an envelope under another key
	Damaged                // an envelope that does not open: truncated, altered, or of an unknown version
)

// Revealed is one record's data as a reader should show or write it.
type Revealed struct {
	State State
	// Data is the plaintext when Decrypted, else the record's data as stored.
	Data  []byte
	KeyID string // the envelope's key id (empty for Plain, and for Damaged when the header is unreadable)
	Err   error  // why it did not open (OtherKey, Damaged)
}

// Reveal opens data with k when it is an envelope; k may be nil (no key given). It is how capture and the records
// browser treat every record alike: plaintext passes, envelopes under k open, the rest stay as stored, with why.
func Reveal(k *Key, data []byte) Revealed {
	if !IsEnvelope(data) {
		return Revealed{State: Plain, Data: data}
	}
	h, err := Inspect(data)
	if err != nil {
		return Revealed{State: Damaged, Data: data, Err: err}
	}
	if k == nil {
		return Revealed{State: Sealed, Data: data, KeyID: h.KeyID}
	}
	plain, err := k.Open(nil, data)
	var wk *WrongKeyError
	switch {
	case err == nil:
		return Revealed{State: Decrypted, Data: plain, KeyID: h.KeyID}
	case errors.As(err, &wk):
		return Revealed{State: OtherKey, Data: data, KeyID: h.KeyID, Err: err}
	default:
		return Revealed{State: Damaged, Data: data, KeyID: h.KeyID, Err: err}
	}
}
