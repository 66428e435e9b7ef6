package engine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// keyStore is Shardlab's local stand-in for KMS: one AES-256 key per KeyId a stream was encrypted with, kept in a
// 0600 JSON file beside the database. Records name their key by a small number, so a stream whose key changes
// still reads its older records.
type keyStore struct {
	path string

	mu    sync.Mutex
	keys  []storedKey
	aeads map[uint32]cipher.AEAD
	byID  map[string]uint32
}

type storedKey struct {
	Num     uint32    `json:"num"`
	KeyID   string    `json:"keyId"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

type keyFile struct {
	Keys []storedKey `json:"keys"`
}

// openKeyStore reads the key file at path; an empty path keeps keys in memory only.
func openKeyStore(path string) (*keyStore, error) {
	ks := &keyStore{path: path, aeads: map[uint32]cipher.AEAD{}, byID: map[string]uint32{}}
	if path == "" {
		return ks, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ks, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("key file %s is not valid JSON: %w; it was left untouched", path, err)
	}
	for _, k := range f.Keys {
		if err := ks.add(k); err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
	}
	return ks, nil
}

func (ks *keyStore) add(k storedKey) error {
	block, err := aes.NewCipher(k.Key)
	if err != nil || len(k.Key) != 32 {
		return fmt.Errorf("key %d (%s) is not an AES-256 key", k.Num, k.KeyID)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	ks.keys = append(ks.keys, k)
	ks.aeads[k.Num] = aead
	ks.byID[k.KeyID] = k.Num
	return nil
}

// key returns the number and cipher of keyID, creating the key (and saving the file before anything is sealed
// with it) on first use.
func (ks *keyStore) key(keyID string) (uint32, cipher.AEAD, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if num, ok := ks.byID[keyID]; ok {
		return num, ks.aeads[num], nil
	}
	k := storedKey{Num: uint32(len(ks.keys) + 1), KeyID: keyID, Key: make([]byte, 32), Created: time.Now().UTC()}
	if _, err := rand.Read(k.Key); err != nil {
		return 0, nil, err
	}
	if err := ks.save(append(append([]storedKey(nil), ks.keys...), k)); err != nil {
		return 0, nil, err
	}
	if err := ks.add(k); err != nil {
		return 0, nil, err
	}
	return k.Num, ks.aeads[k.Num], nil
}

// cipher returns key num's cipher, or nil when the key file does not have it.
func (ks *keyStore) cipher(num uint32) cipher.AEAD {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.aeads[num]
}

// save writes the key file atomically: a temporary file, fsynced, renamed over the old one.
func (ks *keyStore) save(keys []storedKey) error {
	if ks.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(keyFile{Keys: keys}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(ks.path), ".shardlab-keys-*")
	if err != nil {
		return fmt.Errorf("write key file %s: %w", ks.path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write key file %s: %w", ks.path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), ks.path); err != nil {
		return fmt.Errorf("write key file %s: %w", ks.path, err)
	}
	return nil
}
