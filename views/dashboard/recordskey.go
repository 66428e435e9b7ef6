package dashboard

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/views/ui"
)

// The Records tab and client-side encryption (docs/encryption.md): records that are envelopes show as ciphertext
// ("encrypted (key <id>)") until the user gives a key file; then the ones under that key show their plaintext, and
// each one under another key says so. The key is held in memory only, for this tab, and never saved.

// sealedSample is how many bytes of ciphertext a sealed row's preview shows (as base64).
const sealedSample = 36

// revealPreview is a row's preview of its data as Reveal found it.
func revealPreview(r envelope.Revealed) string {
	switch r.State {
	case envelope.Decrypted, envelope.Plain:
		return preview(r.Data)
	case envelope.Sealed:
		return "encrypted (key " + r.KeyID + ") " + ciphertextSample(r.Data)
	case envelope.OtherKey:
		return r.Err.Error() + " · " + ciphertextSample(r.Data)
	}
	if r.KeyID != "" {
		return "encrypted (key " + r.KeyID + "), does not open: altered or damaged"
	}
	return "not a readable envelope: " + r.Err.Error()
}

// ciphertextSample is the start of an envelope's ciphertext in base64.
func ciphertextSample(env []byte) string {
	h, err := envelope.Inspect(env)
	if err != nil {
		return ""
	}
	c := h.Ciphertext[:min(len(h.Ciphertext), sealedSample)]
	return base64.StdEncoding.EncodeToString(c) + "…"
}

// currentKey is the key the browser decrypts with; nil when none was given.
func (m *recordsModel) currentKey() *envelope.Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.key
}

// setKey changes the browser's key and shows the rows already read through it: each encrypted row is revealed
// again from the data the browser still holds, or, for an older row it no longer holds, says that selecting it
// decrypts it (the detail pane reads it back). Filters are not run again: Read does that.
func (m *recordsModel) setKey(k *envelope.Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.key = k
	m.rows = m.reveal(m.rows, k)
}

// reveal returns rows with every encrypted row's preview redone under k; rows without one are shared, not copied.
// Callers hold m.mu.
func (m *recordsModel) reveal(rows []browsedRecord, k *envelope.Key) []browsedRecord {
	var out []browsedRecord
	for i, r := range rows {
		if r.State == envelope.Plain {
			continue
		}
		if out == nil {
			out = append([]browsedRecord(nil), rows...) // a fresh slice: snapshots the UI holds keep their rows
		}
		if data, ok := m.recent.get(recordKey(r.Shard, r.Seq)); ok {
			rev := envelope.Reveal(k, data)
			out[i].State, out[i].Preview = rev.State, revealPreview(rev)
			continue
		}
		switch {
		case k == nil:
			out[i].State, out[i].Preview = envelope.Sealed, "encrypted (key "+r.KeyID+")"
		case k.ID() == r.KeyID:
			out[i].Preview = "encrypted (key " + r.KeyID + "): select the row to decrypt it"
		default:
			out[i].State, out[i].Preview = envelope.OtherKey, (&envelope.WrongKeyError{Record: r.KeyID, Given: k.ID()}).Error()
		}
	}
	if out == nil {
		return rows
	}
	return out
}

// sealedViews are the detail pane's views of a record that stays encrypted: what it is, and its bytes as stored.
func sealedViews(r envelope.Revealed) map[string]string {
	shown := r.Data[:min(len(r.Data), maxDetailBytes)]
	cut := ""
	if len(r.Data) > maxDetailBytes {
		cut = fmt.Sprintf("\n… %s more bytes", ui.Thousands(int64(len(r.Data)-maxDetailBytes)))
	}
	var why string
	switch r.State {
	case envelope.Sealed:
		why = fmt.Sprintf("Encrypted (key %s): %s bytes of ciphertext. Decrypt with key file… shows the plaintext.",
			r.KeyID, ui.Thousands(int64(len(r.Data)-envelope.Overhead)))
	case envelope.OtherKey:
		why = fmt.Sprintf("This record is %s. Give that key's file to read it.", r.Err)
	default:
		why = fmt.Sprintf("An envelope that does not open: %s.", r.Err)
	}
	return map[string]string{"JSON": "(encrypted: see Hex or Base64)", "Text": why + "\n\nThe envelope, as stored, is in Hex and Base64.",
		"Hex": hex.Dump(shown) + cut, "Base64": base64.StdEncoding.EncodeToString(r.Data)}
}

// revealNote is the detail line's word on encryption; empty for plaintext.
func revealNote(r envelope.Revealed) string {
	switch r.State {
	case envelope.Decrypted:
		return fmt.Sprintf("decrypted with key %s (%s bytes of plaintext)", r.KeyID, ui.Thousands(int64(len(r.Data))))
	case envelope.Sealed:
		return fmt.Sprintf("encrypted (key %s): shown as ciphertext", r.KeyID)
	case envelope.OtherKey:
		return r.Err.Error()
	case envelope.Damaged:
		return "does not decrypt: " + r.Err.Error()
	}
	return ""
}

// keyControls are the tab's "Decrypt with key file…" and "Forget key" buttons and the line saying which key is in
// use.
func (p *recordsPanel) newKeyControls() {
	p.keyBtn = widget.NewButtonWithIcon("Decrypt with key file…", theme.FolderOpenIcon(), p.chooseKey)
	p.forgetBtn = widget.NewButtonWithIcon("Forget key", theme.CancelIcon(), func() { p.useKey(nil, "") })
	p.forgetBtn.Hide()
	p.keyLabel = widget.NewLabel("")
	p.keyLabel.Truncation = fyne.TextTruncateEllipsis
	p.keyLabel.Hide() // shown with a key: an empty line would push the table down
}

// chooseKey asks for a key file (starting where the last one was) and loads it off the UI goroutine.
func (p *recordsPanel) chooseKey() {
	type chosen struct {
		key *envelope.Key
		dir fyne.ListableURI // the file's folder, for the next choice
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		ui.Background(func() (chosen, error) {
			defer r.Close()
			b, err := io.ReadAll(io.LimitReader(r, 64<<10))
			if err != nil {
				return chosen{}, fmt.Errorf("key file %s: %w", r.URI().Path(), err)
			}
			var c chosen
			if parent, err := storage.Parent(r.URI()); err == nil {
				c.dir, _ = storage.ListerForURI(parent)
			}
			c.key, err = envelope.ParseKeyFile(r.URI().Path(), b)
			return c, err
		}, func(c chosen, err error) {
			if c.dir != nil {
				p.keyDir = c.dir
			}
			if err != nil {
				ui.ShowError("Decrypt with key file", err, p.d.win)
				return
			}
			p.useKey(c.key, r.URI().Name())
		})
	}, p.d.win)
	if p.keyDir != nil {
		d.SetLocation(p.keyDir)
	}
	d.Show()
}

// loadKeyFile loads the key file at path off the UI goroutine and uses it; the dialog's path does the same.
func (p *recordsPanel) loadKeyFile(path string) {
	ui.Background(func() (*envelope.Key, error) { return envelope.LoadKeyFile(path) }, func(k *envelope.Key, err error) {
		if err != nil {
			ui.ShowError("Decrypt with key file", err, p.d.win)
			return
		}
		p.useKey(k, path)
	})
}

// useKey makes k (nil: none) the key the tab decrypts with, shows the rows already read through it, off the UI
// goroutine, and shows the selected record again.
func (p *recordsPanel) useKey(k *envelope.Key, from string) {
	if k == nil {
		p.keyLabel.SetText("")
		p.keyLabel.Hide()
		p.forgetBtn.Hide()
	} else {
		p.keyLabel.SetText(fmt.Sprintf("Key %s (%s): records encrypted with it are shown decrypted; the key is kept "+
			"in memory only, for this tab", k.ID(), from))
		p.keyLabel.Show()
		p.forgetBtn.Show()
	}
	row := p.selectedRow
	if row < 0 {
		p.clearDetail() // a record still shown from before a Read would keep the old key's plaintext on screen
	}
	ui.Background(func() (browseSnapshot, error) { p.model.setKey(k); return p.model.snapshot(), nil }, func(s browseSnapshot, _ error) {
		p.apply(s)
		if row >= 0 && row < len(p.snap.Rows) {
			p.showRecord(row)
		}
	})
}

// clearDetail empties the detail pane.
func (p *recordsPanel) clearDetail() {
	p.shown, p.selected = "", nil
	p.copyBtn.Disable()
	p.meta.SetText("")
	for _, v := range p.views {
		v.SetText("")
	}
}
