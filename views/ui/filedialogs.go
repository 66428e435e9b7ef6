package ui

import (
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
)

// SaveFile asks where to save data (offering name) and writes it off the UI goroutine; what fails is shown as what.
func SaveFile(win fyne.Window, what, name string, data []byte) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		Background(func() (struct{}, error) {
			_, err := w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return struct{}{}, err
		}, func(_ struct{}, err error) {
			if err != nil {
				ShowError(what, err, win)
			}
		})
	}, win)
	d.SetFileName(name)
	d.Show()
}

// OpenJSON asks for a JSON file, starting in dir; reads it (up to 1 MiB) and hands it to use, both off the UI
// goroutine; then calls then on the UI goroutine with use's result, or shows what failed as what.
func OpenJSON[T any](win fyne.Window, what, dir string, use func([]byte) (T, error), then func(T)) {
	OpenFile(win, what, dir, []string{".json"}, func(_ string, b []byte) (T, error) { return use(b) }, then)
}

// OpenFile is OpenJSON for files of the given extensions; use also gets the file's name.
func OpenFile[T any](win fyne.Window, what, dir string, exts []string, use func(name string, b []byte) (T, error), then func(T)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		Background(func() (T, error) {
			defer r.Close()
			b, err := io.ReadAll(io.LimitReader(r, 1<<20))
			if err != nil {
				var zero T
				return zero, err
			}
			return use(r.URI().Name(), b)
		}, func(v T, err error) {
			if err != nil {
				ShowError(what, err, win)
				return
			}
			then(v)
		})
	}, win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	if lister, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
		d.SetLocation(lister)
	}
	d.Show()
}
