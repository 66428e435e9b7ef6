package dashboard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

// The Records tab shows envelopes as ciphertext until a key file is given; then the records under that key show
// their plaintext (and the filter sees it), a record under another key says so, plaintext stays as it is, and
// Forget key hides the plaintext again.
func TestRecordsTabDecryptsWithAKeyFile(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	ctx := context.Background()
	env.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	key, other := envelope.GenerateKey(), envelope.GenerateKey()
	put := func(data []byte) {
		t.Helper()
		if _, err := env.Engine.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: "s"},
			PartitionKey: "user-1", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		put(key.Seal(nil, fmt.Appendf(nil, `{"i":%d,"secret":"s%d"}`, i, i)))
	}
	put([]byte(`{"i":9,"plain":true}`))
	put(other.Seal(nil, []byte(`{"i":1,"theirs":true}`)))
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "mine.key")
	if err := envelope.WriteKeyFile(keyFile, key); err != nil {
		t.Fatal(err)
	}

	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1200, 740))
	p := d.records
	p.follow.SetChecked(false)
	p.start()
	t.Cleanup(p.stop)
	uitest.UI(p.read)
	uitest.Eventually(t, "five rows", func() bool { return len(p.snap.Rows) == 5 })

	// No key: ciphertext, with the key id.
	uitest.UI(func() {
		for i, r := range p.snap.Rows {
			cell := recordCell(&r, 2)
			switch {
			case i < 3 && (!strings.HasPrefix(cell, "encrypted (key "+key.ID()+") ") || strings.Contains(cell, "secret")):
				t.Errorf("row %d without a key: %q", i, cell)
			case i == 3 && cell != `{"i":9,"plain":true}`:
				t.Errorf("the plaintext row: %q", cell)
			case i == 4 && !strings.HasPrefix(cell, "encrypted (key "+other.ID()+") "):
				t.Errorf("the other key's row: %q", cell)
			}
		}
		p.showRecord(1)
	})
	uitest.Eventually(t, "the sealed record's detail", func() bool {
		return strings.Contains(p.meta.Text, "encrypted (key "+key.ID()+"): shown as ciphertext") &&
			strings.Contains(p.views["Text"].Text, "Decrypt with key file") && strings.Contains(p.views["Hex"].Text, "f5 53 4c 45 01")
	})

	// A key file that is not one: said, naming it, and nothing changes.
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	uitest.UI(func() { p.loadKeyFile(bad) })
	uitest.Eventually(t, "the bad key file's error", func() bool {
		top := win.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		_, found := uitest.Find(top, func(l *widget.Label) bool { return strings.Contains(l.Text, bad) })
		return found
	})
	uitest.UI(func() { win.Canvas().Overlays().Top().Hide() })

	// The key: plaintext, the detail pane again, the other key named per record.
	uitest.UI(func() { p.loadKeyFile(keyFile) })
	uitest.Eventually(t, "decrypted rows", func() bool {
		return len(p.snap.Rows) == 5 && recordCell(&p.snap.Rows[0], 2) == `{"i":0,"secret":"s0"}` &&
			strings.Contains(p.keyLabel.Text, key.ID()) && p.keyLabel.Visible() && p.forgetBtn.Visible()
	})
	uitest.UI(func() {
		if got := recordCell(&p.snap.Rows[4], 2); !strings.HasPrefix(got, "encrypted with key "+other.ID()+", you gave key "+key.ID()) {
			t.Errorf("the other key's row with my key: %q", got)
		}
		if got := recordCell(&p.snap.Rows[3], 2); got != `{"i":9,"plain":true}` {
			t.Errorf("the plaintext row with a key: %q", got)
		}
	})
	uitest.Eventually(t, "the record decrypted in the detail pane", func() bool {
		return strings.Contains(p.meta.Text, "decrypted with key "+key.ID()) && strings.Contains(p.views["JSON"].Text, `"secret": "s1"`)
	})
	uitest.UI(func() { p.showRecord(4) })
	uitest.Eventually(t, "the other key's record in the detail pane", func() bool {
		return strings.Contains(p.meta.Text, "encrypted with key "+other.ID()+", you gave key "+key.ID()) &&
			strings.Contains(p.views["Text"].Text, "Give that key's file")
	})

	// The filter sees the plaintext: one of mine has i == 1 (the other key's does too, but stays sealed).
	uitest.UI(func() {
		test.Type(p.filter, "data.i == 1")
		p.read()
	})
	uitest.Eventually(t, "the filtered read", func() bool {
		return p.snap.Scanned == 5 && len(p.snap.Rows) == 1 && recordCell(&p.snap.Rows[0], 2) == `{"i":1,"secret":"s1"}`
	})

	uitest.UI(func() { p.showRecord(0) })
	uitest.Eventually(t, "the filtered record decrypted", func() bool { return strings.Contains(p.views["JSON"].Text, `"secret": "s1"`) })
	uitest.UI(p.read) // a new read unselects the row, but the pane still shows it
	uitest.Eventually(t, "the read again", func() bool { return p.snap.Done && len(p.snap.Rows) == 1 && p.selectedRow == -1 })
	uitest.UI(func() {
		test.Tap(p.forgetBtn)
		if strings.Contains(p.views["JSON"].Text, "secret") || p.meta.Text != "" {
			t.Errorf("the forgotten key's plaintext stays on screen: %q", p.views["JSON"].Text)
		}
	})
	uitest.Eventually(t, "sealed again", func() bool {
		return len(p.snap.Rows) == 1 && strings.HasPrefix(recordCell(&p.snap.Rows[0], 2), "encrypted (key "+key.ID()+")") && !p.keyLabel.Visible() &&
			!p.forgetBtn.Visible()
	})
}

// Rows the browser no longer holds in full are re-shown from what it knows: select to decrypt, or another key.
func TestRecordsKeyChangeForRowsNoLongerHeld(t *testing.T) {
	env := uitest.NewEnv(t)
	m := newRecordsModel(env.Engine)
	key, other := envelope.GenerateKey(), envelope.GenerateKey()
	m.add("shard-0", []engine.Record{{SequenceNumber: "1", Data: key.Seal(nil, []byte("a"))},
		{SequenceNumber: "2", Data: []byte("plain")}}, nil, false)
	m.recent.reset()
	held := m.snapshot().Rows
	m.setKey(key)
	rows := m.snapshot().Rows
	if rows[0].Preview != "encrypted (key "+key.ID()+"): select the row to decrypt it" || rows[1].Preview != "plain" {
		t.Errorf("with the key: %+v", rows)
	}
	if !strings.HasPrefix(held[0].Preview, "encrypted (key "+key.ID()+") ") {
		t.Errorf("a snapshot taken before the change was rewritten: %q", held[0].Preview)
	}
	m.setKey(other)
	if got := m.snapshot().Rows[0].Preview; got != "encrypted with key "+key.ID()+", you gave key "+other.ID() {
		t.Errorf("with another key: %q", got)
	}
}
