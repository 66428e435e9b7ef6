package dashboard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/views/ui"
)

// producerStrip is the Overview's line about this stream's generators: what each does, accepted and throttled per
// second, and one button to start or stop them all.
type producerStrip struct {
	d      *Dashboard
	text   *widget.Label
	toggle *widget.Button
	gens   []loadgen.Listed
}

func newProducerStrip(d *Dashboard) *producerStrip {
	p := &producerStrip{d: d, text: widget.NewLabel("")}
	p.text.Truncation = fyne.TextTruncateEllipsis
	p.toggle = widget.NewButtonWithIcon("Start producers", theme.MediaPlayIcon(), p.toggleAll)
	return p
}

func (p *producerStrip) content() fyne.CanvasObject {
	return container.NewBorder(widget.NewSeparator(), nil, p.toggle, nil, p.text)
}

func (p *producerStrip) update(gens []loadgen.Listed) {
	p.gens = gens
	if len(gens) == 0 {
		ui.SetText(p.text, "No producers for this stream: add one on the Producers tab.")
		p.toggle.Disable()
		return
	}
	p.toggle.Enable()
	running := 0
	var parts []string
	for _, g := range gens {
		state := "paused"
		if g.Running {
			running++
			state = fmt.Sprintf("%s accepted, %s throttled /s", ui.Thousands(int64(g.Last.Accepted)), ui.Thousands(int64(g.Last.Throttled)))
		}
		parts = append(parts, fmt.Sprintf("%s (%s rec/s, %s): %s", g.Config.Name, ui.Thousands(int64(g.Config.Rate)), describeKeys(g.Config.Keys), state))
	}
	ui.SetText(p.text, strings.Join(parts, " · "))
	if running > 0 {
		ui.SetButton(p.toggle, "Stop producers", theme.MediaPauseIcon())
	} else {
		ui.SetButton(p.toggle, "Start producers", theme.MediaPlayIcon())
	}
}

func (p *producerStrip) toggleAll() {
	anyRunning := false
	for _, g := range p.gens {
		anyRunning = anyRunning || g.Running
	}
	gens := p.gens
	ui.Background(func() (struct{}, error) {
		for _, g := range gens {
			var err error
			if anyRunning {
				err = p.d.env.Generators.Stop(g.ID)
			} else {
				err = p.d.env.Generators.Start(g.ID)
			}
			if err != nil && !errors.Is(err, loadgen.ErrNotFound) { // removed meanwhile: nothing to do
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	}, func(_ struct{}, err error) {
		if err != nil {
			ui.ShowError("Start producers", err, p.d.win)
		}
	})
}

func describeKeys(k loadgen.KeyDistribution) string {
	switch k.Kind {
	case loadgen.HotKey:
		return fmt.Sprintf("one hot key takes %s of %s keys", ui.Percent(k.HotShare), ui.Thousands(int64(k.Keys)))
	case loadgen.Zipf:
		return fmt.Sprintf("Zipf s=%.2g over %s keys", k.ZipfExponent, ui.Thousands(int64(k.Keys)))
	default:
		return fmt.Sprintf("uniform over %s keys", ui.Thousands(int64(k.Keys)))
	}
}

// producersPanel is the Producers tab: every generator of this stream with its settings and live counts, and the
// form to add or change one.
type producersPanel struct {
	d    *Dashboard
	list *fyne.Container
	rows map[int]*producerRow
}

type producerRow struct {
	box    *fyne.Container
	title  *widget.Label
	counts *widget.Label
	toggle *widget.Button
}

func newProducersPanel(d *Dashboard) *producersPanel {
	return &producersPanel{d: d, list: container.NewVBox(), rows: map[int]*producerRow{}}
}

func (p *producersPanel) content() fyne.CanvasObject {
	add := widget.NewButtonWithIcon("Add producer…", theme.ContentAddIcon(), func() { p.open(0, p.defaults()) })
	add.Importance = widget.HighImportance
	help := widget.NewLabel("Producers run inside Shardlab and put records through the same engine calls as any SDK. " +
		"Several can run at once; throttled records are counted, not retried.")
	help.Wrapping = fyne.TextWrapWord
	return container.NewBorder(container.NewVBox(container.NewHBox(add), help), nil, nil, nil, container.NewVScroll(p.list))
}

func (p *producersPanel) defaults() loadgen.Config {
	return loadgen.Config{Name: "producer", Stream: p.d.stream, Template: loadgen.Clickstream, Rate: 500,
		Keys: loadgen.KeyDistribution{Kind: loadgen.Uniform, Keys: 1000}}
}

func (p *producersPanel) update(gens []loadgen.Listed) {
	seen := map[int]bool{}
	changed := false
	for _, g := range gens {
		seen[g.ID] = true
		r := p.rows[g.ID]
		if r == nil {
			r = p.newRow(g.ID)
			p.rows[g.ID] = r
			changed = true
		}
		c := g.Config
		tmpl := c.Template
		if c.Template == loadgen.SampleFile {
			tmpl = "file " + filepath.Base(c.SampleFile)
		}
		size := "natural size"
		if c.RecordSize > 0 {
			size = ui.Thousands(int64(c.RecordSize)) + " B"
		}
		title := fmt.Sprintf("%s — %s, %s rec/s, %s, %s", c.Name, tmpl, ui.Thousands(int64(c.Rate)), describeKeys(c.Keys), size)
		if c.EncryptKeyFile != "" {
			title += fmt.Sprintf(", encrypted (key %s, %s)", c.EncryptKeyID, filepath.Base(c.EncryptKeyFile))
		}
		ui.SetText(r.title, title)
		counts := fmt.Sprintf("last second: %s accepted, %s throttled, %s failed · total %s accepted, %s throttled",
			ui.Thousands(int64(g.Last.Accepted)), ui.Thousands(int64(g.Last.Throttled)), ui.Thousands(int64(g.Last.Failed)),
			ui.Thousands(int64(g.Totals.Accepted)), ui.Thousands(int64(g.Totals.Throttled)))
		if g.LastError != "" {
			counts += " · last error: " + g.LastError
		}
		ui.SetText(r.counts, counts)
		if g.Running {
			ui.SetButton(r.toggle, "Stop", theme.MediaPauseIcon())
		} else {
			ui.SetButton(r.toggle, "Start", theme.MediaPlayIcon())
		}
	}
	for id := range p.rows {
		if !seen[id] {
			delete(p.rows, id)
			changed = true
		}
	}
	if changed {
		ids := make([]int, 0, len(p.rows))
		for id := range p.rows {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		p.list.Objects = nil
		for _, id := range ids {
			p.list.Add(p.rows[id].box)
		}
		p.list.Refresh()
	}
}

func (p *producersPanel) newRow(id int) *producerRow {
	r := &producerRow{title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), counts: widget.NewLabel("")}
	// Every tab's content counts toward the window's minimum width: long lines wrap instead of widening it.
	r.title.Wrapping = fyne.TextWrapWord
	r.counts.Wrapping = fyne.TextWrapWord
	gens := p.d.env.Generators
	r.toggle = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), func() {
		ui.Background(func() (loadgen.Status, error) {
			st, err := gens.Status(id)
			switch {
			case err != nil:
			case st.Running:
				err = gens.Stop(id)
			default:
				err = gens.Start(id)
			}
			return st, err
		}, func(st loadgen.Status, err error) {
			if err != nil {
				ui.ShowError("Start "+st.Config.Name, err, p.d.win)
			}
		})
	})
	edit := widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() {
		if st, err := gens.Status(id); err == nil { // a read of memory: no disk, fine on the UI goroutine
			p.open(id, st.Config)
		}
	})
	remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		ui.Background(func() (struct{}, error) { return struct{}{}, p.d.env.Generators.Remove(id) }, func(_ struct{}, err error) {
			if err != nil {
				ui.ShowError("Remove producer", err, p.d.win)
			}
		})
	})
	r.box = container.NewBorder(nil, widget.NewSeparator(), nil, container.NewHBox(r.toggle, edit, remove),
		container.NewVBox(r.title, r.counts))
	return r
}

// producerForm is the add/edit dialog's fields.
type producerForm struct {
	name, rate, size, keys, zipf, hot *widget.Entry
	template, dist, file              *widget.Select
	// keyFile is the optional "Encrypt with key file" path; keyChoose picks it with a file dialog.
	keyFile   *widget.Entry
	keyChoose *widget.Button
	items     []*widget.FormItem
}

var distLabels = map[string]string{"Uniform": loadgen.Uniform, "Zipf": loadgen.Zipf, "One hot key": loadgen.HotKey}

func newProducerForm(cfg loadgen.Config, samples []string) *producerForm {
	f := &producerForm{name: widget.NewEntry(), rate: widget.NewEntry(), size: widget.NewEntry(), keys: widget.NewEntry(),
		zipf: widget.NewEntry(), hot: widget.NewEntry()}
	f.name.SetText(cfg.Name)
	f.rate.SetText(strconv.Itoa(cfg.Rate))
	f.rate.Validator = ui.IntInRange(1, loadgen.MaxRate, "rate")
	f.size.SetText(strconv.Itoa(cfg.RecordSize))
	f.size.Validator = ui.IntInRange(0, loadgen.MaxRecordSize, "record size")
	f.keys.SetText(strconv.Itoa(cfg.Keys.Keys))
	f.keys.Validator = ui.IntInRange(1, loadgen.MaxKeys, "keys")
	f.zipf.SetText(strconv.FormatFloat(max(cfg.Keys.ZipfExponent, 1.1), 'g', -1, 64))
	f.zipf.Validator = func(s string) error {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 0 || v > 5 {
			return fmt.Errorf("the Zipf exponent is a number from 0 to 5")
		}
		return nil
	}
	f.hot.SetText(strconv.Itoa(int(max(cfg.Keys.HotShare, 0.5)*100 + 0.5)))
	f.hot.Validator = ui.IntInRange(0, 100, "hot key share (%)")
	f.template = widget.NewSelect(loadgen.Templates, nil)
	f.template.SetSelected(cfg.Template)
	f.file = widget.NewSelect(samples, nil)
	if cfg.SampleFile != "" {
		f.file.SetSelected(cfg.SampleFile)
	} else if len(samples) > 0 {
		f.file.SetSelected(samples[0])
	}
	f.dist = widget.NewSelect([]string{"Uniform", "Zipf", "One hot key"}, nil)
	for label, kind := range distLabels {
		if kind == cfg.Keys.Kind {
			f.dist.SetSelected(label)
		}
	}
	f.keyFile = widget.NewEntry()
	f.keyFile.SetText(cfg.EncryptKeyFile)
	f.keyFile.SetPlaceHolder("none: records go as plaintext")
	f.keyChoose = widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), nil)
	keyHint := "optional: records become envelopes under this key (shardlab encrypt-key new); keys stay in the clear"
	if cfg.EncryptKeyID != "" {
		keyHint = "now key " + cfg.EncryptKeyID + "; saving binds the producer to the key the file holds"
	}
	f.items = []*widget.FormItem{
		{Text: "Name", Widget: f.name},
		{Text: "Template", Widget: f.template, HintText: "clickstream JSON, IoT reading, access log line, or a sample file"},
		{Text: "Sample file", Widget: f.file, HintText: "used by the file template, one record per line"},
		{Text: "Rate (records/s)", Widget: f.rate, HintText: "1–100,000; a shard takes 1,000 records/s"},
		{Text: "Record size (bytes)", Widget: f.size, HintText: "records are padded to this; 0 keeps the template's size"},
		{Text: "Encrypt with key file", Widget: container.NewBorder(nil, nil, nil, f.keyChoose, f.keyFile), HintText: keyHint},
		{Text: "Keys", Widget: f.dist},
		{Text: "Distinct keys", Widget: f.keys},
		{Text: "Zipf exponent", Widget: f.zipf, HintText: "for Zipf: 0 (uniform) to 5; 1.1 gives a few heavy keys"},
		{Text: "Hot key share (%)", Widget: f.hot, HintText: "for one hot key: its share of all records"},
	}
	return f
}

func (f *producerForm) config(stream string) (loadgen.Config, error) {
	cfg := loadgen.Config{Name: strings.TrimSpace(f.name.Text), Stream: stream, Template: f.template.Selected}
	if cfg.Name == "" {
		cfg.Name = "producer"
	}
	if cfg.Template == loadgen.SampleFile {
		cfg.SampleFile = f.file.Selected
	}
	cfg.EncryptKeyFile = strings.TrimSpace(f.keyFile.Text) // the manager loads its key on saving, off the UI goroutine
	var err error
	if cfg.Rate, err = strconv.Atoi(strings.TrimSpace(f.rate.Text)); err != nil {
		return cfg, fmt.Errorf("rate %q: a whole number of records per second", f.rate.Text)
	}
	if cfg.RecordSize, err = strconv.Atoi(strings.TrimSpace(f.size.Text)); err != nil {
		return cfg, fmt.Errorf("record size %q: a whole number of bytes", f.size.Text)
	}
	cfg.Keys.Kind = distLabels[f.dist.Selected]
	if cfg.Keys.Keys, err = strconv.Atoi(strings.TrimSpace(f.keys.Text)); err != nil {
		return cfg, fmt.Errorf("keys %q: a whole number", f.keys.Text)
	}
	switch cfg.Keys.Kind {
	case loadgen.Zipf:
		if cfg.Keys.ZipfExponent, err = strconv.ParseFloat(strings.TrimSpace(f.zipf.Text), 64); err != nil {
			return cfg, fmt.Errorf("zipf exponent %q: a number such as 1.1", f.zipf.Text)
		}
	case loadgen.HotKey:
		pct, err := strconv.Atoi(strings.TrimSpace(f.hot.Text))
		if err != nil {
			return cfg, fmt.Errorf("hot key share %q: a whole percentage", f.hot.Text)
		}
		cfg.Keys.HotShare = float64(pct) / 100
	}
	return cfg, cfg.Validate()
}

// sampleFiles lists the text files of the samples directory the file template can replay, relative to the data
// directory so the workspace keeps working if the directory moves.
func sampleFiles(dataDir, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".ndjson", ".jsonl", ".json", ".log", ".csv", ".txt": // lines a producer can replay, not the video sample
		default:
			continue
		}
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if rel, err := filepath.Rel(dataDir, path); err == nil && !strings.HasPrefix(rel, "..") {
			path = rel
		}
		out = append(out, path)
	}
	return out
}

// open lists the sample files off the UI goroutine, then shows the add (id 0) or change dialog.
func (p *producersPanel) open(id int, cfg loadgen.Config) {
	env := p.d.env
	ui.Background(func() ([]string, error) { return sampleFiles(env.DataDir, env.SampleDir), nil },
		func(samples []string, _ error) { p.edit(id, cfg, samples) })
}

// edit shows the add (id 0) or change dialog.
func (p *producersPanel) edit(id int, cfg loadgen.Config, samples []string) {
	f := newProducerForm(cfg, samples)
	f.keyChoose.OnTapped = func() {
		dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			go r.Close() // only the path is wanted; the key is read on saving, off the UI goroutine
			f.keyFile.SetText(r.URI().Path())
		}, p.d.win)
	}
	title, confirm := "Add producer", "Add"
	if id != 0 {
		title, confirm = "Change "+cfg.Name, "Save"
	}
	d := dialog.NewForm(title, confirm, "Cancel", f.items, func(ok bool) {
		if !ok {
			return
		}
		cfg, err := f.config(p.d.stream)
		if err != nil {
			ui.ShowError(title, err, p.d.win)
			return
		}
		ui.Background(func() (struct{}, error) {
			if id == 0 {
				_, err := p.d.env.Generators.Add(cfg)
				return struct{}{}, err
			}
			return struct{}{}, p.d.env.Generators.Update(id, cfg)
		}, func(_ struct{}, err error) {
			if err != nil {
				ui.ShowError(title, err, p.d.win)
			}
		})
	}, p.d.win)
	d.Resize(fyne.NewSize(640, 0))
	d.Show()
}
