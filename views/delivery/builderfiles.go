package delivery

import (
	"strings"

	"fyne.io/fyne/v2/dialog"

	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/views/ui"
)

// importFile opens a pipeline's JSON in the builder, unsaved: unlike the delivery list's import, a pipeline that
// does not validate still opens, so that it can be fixed here.
func (b *builderScreen) importFile() {
	ui.OpenJSON(b.win, "Open pipeline", b.env.DataDir+"/samples/pipelines", delivery.DecodeSpec,
		func(spec delivery.Spec) { b.load(delivery.GraphOf(spec), "") })
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
	ui.SaveFile(b.win, "Export pipeline", spec.Name+".json", spec.MarshalIndent())
}
