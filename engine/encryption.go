package engine

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/shardlab/shardlab/engine/storage"
)

// StartStreamEncryption makes every record written from now on stored encrypted with AES-256-GCM under the local
// key named by keyID (created on first use); reads decrypt transparently. Records written before stay as they were.
func (e *Engine) StartStreamEncryption(ctx context.Context, ref StreamRef, encryptionType, keyID string) error {
	if err := validateEncryption(ref, encryptionType, keyID); err != nil {
		return err
	}
	if encryptionType != EncryptionKMS {
		return newError(ErrInvalidArgument, "EncryptionType %s cannot be started; use KMS.", encryptionType)
	}
	if _, _, err := e.keys.key(keyID); err != nil {
		return newError(ErrInternalFailure, "Internal service failure: %v", err)
	}
	return e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		m.EncryptionType, m.KeyID = EncryptionKMS, keyID
		return nil
	})
}

// StopStreamEncryption makes records written from now on stored in the clear; encrypted records stay readable.
func (e *Engine) StopStreamEncryption(ctx context.Context, ref StreamRef, encryptionType, keyID string) error {
	if err := validateEncryption(ref, encryptionType, keyID); err != nil {
		return err
	}
	return e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		if m.EncryptionType == EncryptionKMS && m.KeyID != keyID {
			return newError(ErrInvalidArgument, "KeyId %s does not match the key stream %s is encrypted with.",
				keyID, s.name)
		}
		m.EncryptionType, m.KeyID = EncryptionNone, ""
		return nil
	})
}

func validateEncryption(ref StreamRef, encryptionType, keyID string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(encryptionType != "", "encryptionType") {
		v.enum(encryptionType, []string{EncryptionNone, EncryptionKMS}, "encryptionType")
	}
	if v.notNull(keyID != "", "keyId") {
		v.lenRange(keyID, len(keyID), 1, 2048, "keyId")
	}
	return v.err()
}

// sealer encrypts record bodies for one put call under the stream's key.
type sealer struct {
	num  uint32
	aead cipher.AEAD
	aad  []byte
}

func (e *Engine) sealerFor(s *stream, keyID string) (*sealer, error) {
	num, aead, err := e.keys.key(keyID)
	if err != nil {
		return nil, newError(ErrInternalFailure, "Internal service failure: encryption key %s: %v", keyID, err)
	}
	return &sealer{num: num, aead: aead, aad: streamAAD(s.id)}, nil
}

// streamAAD binds a sealed record to its stream, so a body copied into another stream does not open.
func streamAAD(streamID uint64) []byte { return binary.BigEndian.AppendUint64(nil, streamID) }

// appendSealed appends a sealed record value: header, nonce, then the sealed plain body.
func (sl *sealer) appendSealed(dst []byte, partitionKey string, data []byte) []byte {
	dst = storage.AppendSealedHeader(dst, sl.num)
	nonce := make([]byte, sl.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	dst = append(dst, nonce...)
	return sl.aead.Seal(dst, nonce, storage.AppendBody(nil, partitionKey, data), sl.aad)
}

// sealedSize is how much appendSealed adds beyond the plain body.
func (sl *sealer) sealedSize(partitionKey string, data []byte) int {
	return storage.RecordSize(partitionKey, data) + 5 + sl.aead.NonceSize() + sl.aead.Overhead()
}

// openSealed decrypts a sealed body into the arena and splits it into partition key and data.
func (e *Engine) openSealed(s *stream, keyNum uint32, sealed []byte, arena *arena) (key, data []byte, err error) {
	aead := e.keys.cipher(keyNum)
	if aead == nil {
		return nil, nil, fmt.Errorf("record sealed with key %d, which the key file %s does not have", keyNum, e.keys.path)
	}
	ns := aead.NonceSize()
	if len(sealed) < ns+aead.Overhead() {
		return nil, nil, storage.ErrBadRecord
	}
	room := arena.room(len(sealed))
	plain, err := aead.Open(room, sealed[:ns], sealed[ns:], streamAAD(s.id))
	if err != nil {
		return nil, nil, fmt.Errorf("record does not decrypt with key %d: %w", keyNum, err)
	}
	arena.cur = arena.cur[:len(arena.cur)+len(plain)]
	return storage.DecodeBody(plain)
}
