package auth

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Root credentials come from these variables when both are set; otherwise they are made on first start and kept
// in the data directory.
const (
	EnvRootAccessKeyID     = "SHARDLAB_ROOT_ACCESS_KEY_ID"
	EnvRootSecretAccessKey = "SHARDLAB_ROOT_SECRET_ACCESS_KEY"
)

// RootFile is where generated root credentials are kept (mode 0600), under the data directory.
const RootFile = "root-credentials.json"

// KeyRing is the access keys Shardlab accepts, looked up by id.
type KeyRing struct {
	mu   sync.RWMutex
	keys map[string]Key
}

// NewKeyRing holds keys.
func NewKeyRing(keys ...Key) *KeyRing {
	r := &KeyRing{keys: map[string]Key{}}
	for _, k := range keys {
		r.keys[k.AccessKeyID] = k
	}
	return r
}

// Lookup implements Keys.
func (r *KeyRing) Lookup(id string) (Key, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[id]
	return k, ok
}

// Add accepts another key.
func (r *KeyRing) Add(k Key) {
	r.mu.Lock()
	r.keys[k.AccessKeyID] = k
	r.mu.Unlock()
}

// RootKey is account's root access key: from the environment when both variables are set, else from the data
// directory's RootFile, else a new one, written there 0600. created reports that it was made now, so it can be
// shown once.
func RootKey(dataDir, account string) (k Key, created bool, err error) {
	k.Account, k.ARN = account, "arn:aws:iam::"+account+":root"
	if id, secret := os.Getenv(EnvRootAccessKeyID), os.Getenv(EnvRootSecretAccessKey); id != "" && secret != "" {
		k.AccessKeyID, k.Secret = id, secret
		return k, false, nil
	}
	path := filepath.Join(dataDir, RootFile)
	var stored struct{ AccessKeyID, SecretAccessKey string }
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &stored); err != nil || stored.AccessKeyID == "" || stored.SecretAccessKey == "" {
			return Key{}, false, fmt.Errorf("%s is damaged (%v): delete it to make new root credentials", path, err)
		}
		k.AccessKeyID, k.Secret = stored.AccessKeyID, stored.SecretAccessKey
		return k, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return Key{}, false, err
	}
	k.AccessKeyID, k.Secret = NewAccessKeyID(), NewSecret()
	stored.AccessKeyID, stored.SecretAccessKey = k.AccessKeyID, k.Secret
	b, _ = json.MarshalIndent(stored, "", "  ")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Key{}, false, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return Key{}, false, err
	}
	return k, true, nil
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// NewAccessKeyID is a fresh long-term access key id, shaped as AWS's are (AKIA and 16 characters).
func NewAccessKeyID() string { return "AKIA" + randomText(16, upperDigits) }

// NewSecret is a fresh 40-character secret access key.
func NewSecret() string { return randomText(40, secretChars) }

// NewUniqueID is an IAM unique id: prefix (AIDA for a user) and 17 characters.
func NewUniqueID(prefix string) string { return prefix + randomText(17, upperDigits) }

// randomText draws n characters of alphabet from crypto/rand (alphabets of 32 or 64 characters divide 256, so
// every character is equally likely).
func randomText(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
