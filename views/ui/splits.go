package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// The split panes a user drags keep their place across screens and restarts: each is registered under a name, set
// from the preferences when made, and saved when the shell leaves its screen or the window closes. UI goroutine
// only.
var splits = map[string]*container.Split{}

const prefSplitPrefix = "split."

// Remember gives s its remembered offset (def the first time) and registers it to be saved under name.
func Remember(name string, s *container.Split, def float64) *container.Split {
	s.Offset = def
	if a := fyne.CurrentApp(); a != nil {
		s.Offset = a.Preferences().FloatWithFallback(prefSplitPrefix+name, def)
	}
	splits[name] = s
	return s
}

// SaveSplits stores every registered split's offset.
func SaveSplits(a fyne.App) {
	for name, s := range splits {
		a.Preferences().SetFloat(prefSplitPrefix+name, s.Offset)
	}
}
