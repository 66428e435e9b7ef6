package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Column is one column of a table: its header and width.
type Column struct {
	Title string
	Width float32
}

// NewColumnTable is a table with a bold header row and fixed column widths. rows counts the rows now; cell gives a
// cell's text, cut to its column's width by fitColumn (Fyne's ellipsis truncation re-measures text per cell, which
// is what made scrolling a big table slow).
func NewColumnTable(cols []Column, rows func() int, cell func(row, col int) string) *widget.Table {
	t := widget.NewTableWithHeaders(
		func() (int, int) { return rows(), len(cols) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			text := ""
			if id.Row < rows() {
				text = FitColumn(cell(id.Row, id.Col), cols[id.Col].Width)
			}
			o.(*widget.Label).SetText(text)
		})
	t.ShowHeaderColumn = false
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(cols[id.Col].Title)
		}
	}
	for i, c := range cols {
		t.SetColumnWidth(i, c.Width)
	}
	return t
}
