package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/engine/replay"
)

// runEncryptKey makes and reads the key files of client-side encryption (docs/encryption.md):
//
//	shardlab encrypt-key new FILE   make a key file (mode 0600; an existing file is never overwritten)
//	shardlab encrypt-key id FILE    print a key file's key id, as envelopes and messages name it
//
// The files it makes are what replay --encrypt-key, capture --decrypt-key, the Producers tab's "Encrypt with key
// file" and the Records tab's "Decrypt with key file…" take.
func runEncryptKey(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, "Usage:\n  shardlab encrypt-key new FILE   make a key file (mode 0600, never overwriting)\n"+
			"  shardlab encrypt-key id FILE    print a key file's key id")
		if len(args) == 0 {
			return errors.New("give new or id")
		}
		return nil
	}
	if len(args) != 2 {
		return fmt.Errorf("usage: shardlab encrypt-key %s FILE", args[0])
	}
	path := args[1]
	switch args[0] {
	case "new":
		k := envelope.GenerateKey()
		if err := envelope.WriteKeyFile(path, k); err != nil {
			return err
		}
		fmt.Printf("wrote key %s to %s (mode 0600)\n", k.ID(), path)
		fmt.Fprintln(os.Stderr, "Keep it secret and keep a copy: records sealed with it cannot be read without it.")
		return nil
	case "id":
		k, err := envelope.LoadKeyFile(path)
		if err != nil {
			return err
		}
		fmt.Println(k.ID())
		return nil
	}
	return fmt.Errorf("unknown encrypt-key command %q: new or id", args[0])
}

// decryptReport is capture --decrypt-key's account of what it opened and what it wrote as it was.
func decryptReport(keyID string, p *replay.CaptureProgress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "decrypted %d with key %s\n", p.Decrypted.Load(), keyID)
	ids, damage := p.OtherKeys()
	if n := p.Plain.Load(); n > 0 {
		fmt.Fprintf(&b, "%d not encrypted: written as they are\n", n)
	}
	if n := p.OtherKey.Load(); n > 0 {
		other := "another key"
		if len(ids) > 0 {
			other = "key " + strings.Join(ids, ", ")
		}
		fmt.Fprintf(&b, "%d encrypted with %s, you gave key %s: written encrypted\n", n, other, keyID)
	}
	if n := p.Damaged.Load(); n > 0 {
		fmt.Fprintf(&b, "%d envelopes did not open (%s): written as they are\n", n, damage)
	}
	return b.String()
}
