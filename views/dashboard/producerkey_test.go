package dashboard

import (
	"context"
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

// A producer set up with "Encrypt with key file" puts envelopes: its row names the key, the Records tab shows
// them as ciphertext, and with the key file their plaintext, keyed in the clear.
func TestEncryptingProducerEndToEnd(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 1
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "s", ShardCount: &n})
	keyFile := filepath.Join(t.TempDir(), "p.key")
	key := envelope.GenerateKey()
	if err := envelope.WriteKeyFile(keyFile, key); err != nil {
		t.Fatal(err)
	}
	win := test.NewTempWindow(t, widget.NewLabel(""))
	d := New(env, win, "s")
	win.SetContent(d.Content())
	win.Resize(fyne.NewSize(1200, 740))

	f := newProducerForm(d.prods.defaults(), nil)
	f.rate.SetText("200")
	f.keyFile.SetText("  " + keyFile + " ")
	cfg, err := f.config("s")
	if err != nil || cfg.EncryptKeyFile != keyFile {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	id, err := env.Generators.Add(cfg) // what the dialog's Add does, off the UI goroutine
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	defer d.Stop()
	uitest.Eventually(t, "the producer's row to name its key", func() bool {
		r := d.prods.rows[id]
		return r != nil && strings.Contains(r.title.Text, "encrypted (key "+key.ID()+", p.key)")
	})
	if err := env.Generators.Start(id); err != nil {
		t.Fatal(err)
	}
	uitest.Eventually(t, "records", func() bool { st, _ := env.Generators.Status(id); return st.Totals.Accepted >= 20 })
	env.Generators.Stop(id)
	st, _ := env.Generators.Status(id)
	if f2 := newProducerForm(st.Config, nil); f2.keyFile.Text != keyFile {
		t.Errorf("the edit form lost the key file: %q", f2.keyFile.Text)
	}

	p := d.records
	p.follow.SetChecked(false)
	uitest.UI(p.read)
	uitest.Eventually(t, "sealed rows", func() bool {
		return len(p.snap.Rows) == st.Totals.Accepted && strings.HasPrefix(p.snap.Rows[0].Preview, "encrypted (key "+key.ID()+")")
	})
	uitest.UI(func() { p.loadKeyFile(keyFile) })
	uitest.Eventually(t, "decrypted rows", func() bool {
		r := p.snap.Rows[0]
		return strings.HasPrefix(r.Preview, `{"ts":`) && strings.Contains(r.Preview, `"user":"`+r.Key+`"`)
	})
}
