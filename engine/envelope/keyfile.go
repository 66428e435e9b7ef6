package envelope

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// A key file is text: comment lines beginning with #, and one line of standard base64 holding the 32-byte master
// key. WriteKeyFile writes
//
//	# Shardlab envelope key, key id 1a2b3c4d5e6f7a8b (docs/encryption.md).
//	# Keep it secret: whoever holds this file can read every record encrypted with it.
//	q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=
//
// A comment naming a key id is checked against the key, so an edited or mixed-up file is caught on loading.
const maxKeyFile = 4 << 10 // a key file is three short lines; anything much bigger is some other file

var commentID = regexp.MustCompile(`key id ([0-9a-f]{16})\b`)

// KeyFileText is what WriteKeyFile writes for k.
func KeyFileText(k *Key) []byte {
	return fmt.Appendf(nil, "# Shardlab envelope key, key id %s (docs/encryption.md).\n"+
		"# Keep it secret: whoever holds this file can read every record encrypted with it.\n%s\n",
		k.ID(), base64.StdEncoding.EncodeToString(k.master))
}

// WriteKeyFile writes k to a new file at path, mode 0600. It never overwrites: a key file lost is every record
// under it lost.
func WriteKeyFile(path string, k *Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("key file %s already exists; it was left untouched (choose another name)", path)
	}
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	_, err = f.Write(KeyFileText(k))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // half a key file is no key file
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return nil
}

// LoadKeyFile reads the key file at path; errors name it.
func LoadKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return ParseKeyFile(path, b)
}

// ParseKeyFile reads a key file's content; name is how errors call the file.
func ParseKeyFile(name string, b []byte) (*Key, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("key file %s: "+format, append([]any{name}, args...)...)
	}
	if len(b) > maxKeyFile {
		return nil, fail("more than %d bytes: not a Shardlab key file (make one with shardlab encrypt-key new)", maxKeyFile)
	}
	var master []byte
	var claimed string
	for i, line := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		switch {
		case s == "":
			continue
		case strings.HasPrefix(s, "#"):
			if m := commentID.FindStringSubmatch(s); m != nil {
				claimed = m[1]
			}
			continue
		}
		key, err := base64.StdEncoding.DecodeString(s)
		switch {
		case err != nil:
			return nil, fail("line %d is neither a comment nor a key (a key is one line of standard base64; make a key file with shardlab encrypt-key new)", i+1)
		case len(key) != KeySize:
			return nil, fail("line %d: the key is %d bytes; a key is %d bytes (256 bits)", i+1, len(key), KeySize)
		case master != nil:
			return nil, fail("line %d: a second key; a key file holds one key", i+1)
		}
		master = key
	}
	if master == nil {
		return nil, fail("no key line: want one line of base64 holding %d bytes (make one with shardlab encrypt-key new)", KeySize)
	}
	k, err := NewKey(master)
	if err != nil {
		return nil, fail("%v", err)
	}
	if claimed != "" && claimed != k.ID() {
		return nil, fail("its comment says key id %s, but the key's id is %s: the file was edited or mixed up", claimed, k.ID())
	}
	return k, nil
}
