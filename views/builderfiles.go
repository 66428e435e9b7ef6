package views

import (
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/shardlab/shardlab/engine/delivery"
)

// importFile opens a pipeline's JSON in the builder, unsaved: unlike the delivery list's import, a pipeline that
// does not validate still opens, so that it can be fixed here.
func (b *builderScreen) importFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		background(func() (delivery.Spec, error) { // read off the UI goroutine
			defer r.Close()
			data, err := io.ReadAll(io.LimitReader(r, 1<<20))
			if err != nil {
				return delivery.Spec{}, err
			}
			return delivery.DecodeSpec(data)
		}, func(spec delivery.Spec, err error) {
			if err != nil {
				showError("Open pipeline", err, b.win)
				return
			}
			b.load(delivery.GraphOf(spec), "")
		})
	}, b.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	if dir, err := storage.ListerForURI(storage.NewFileURI(b.env.DataDir + "/samples/pipelines")); err == nil {
		d.SetLocation(dir)
	}
	d.Show()
}

// exportGraph writes the pipeline's JSON, with its layout, to a file; only a pipeline that can run is exported, so
// that every exported file imports.
func (b *builderScreen) exportGraph() {
	spec, _, _ := b.graph.Compile()
	b.render()
	if len(b.problems) > 0 {
		var lines []string
		for _, p := range b.problems {
			lines = append(lines, "• "+p.Message)
		}
		dialog.ShowInformation("Not exported", "The pipeline cannot run yet:\n"+strings.Join(lines, "\n"), b.win)
		return
	}
	saveFile(b.win, "Export pipeline", spec.Name+".json", spec.MarshalIndent())
}
