package ui

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
)

// ModifierName is what fyne.KeyModifierShortcutDefault is called on this platform, for shortcut labels.
var ModifierName = func() string {
	if runtime.GOOS == "darwin" {
		return "Cmd"
	}
	return "Ctrl"
}()

// PrefTheme is the preference key of the theme choice (ThemeSystem, ThemeLight or ThemeDark).
const PrefTheme = "theme"

// SetEnabled enables or disables w, touching it only when that changes.
func SetEnabled(w fyne.Disableable, on bool) {
	if on && w.Disabled() {
		w.Enable()
	} else if !on && !w.Disabled() {
		w.Disable()
	}
}

// RefreshInterval is the live screens' frame period: about four frames a second, as the workshop needs.
const RefreshInterval = 250 * time.Millisecond

// Copyable is read-only text with a button that puts it on the clipboard (a path, an endpoint). Not a selectable
// label: Fyne animates those even unfocused, which repaints the whole window several times a second.
func Copyable(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	copyBtn := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { fyne.CurrentApp().Clipboard().SetContent(text) })
	copyBtn.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, copyBtn, l)
}

// FitColumn cuts text to about what a column of width shows, with an ellipsis, counting runes at a conservative
// average glyph width of the default theme's text.
func FitColumn(text string, width float32) string {
	limit := int((width - 16) / 7.5)
	if limit < 1 || utf8.RuneCountInString(text) <= limit {
		return text
	}
	r := []rune(text)
	return string(r[:limit-1]) + "…"
}

// Heading is a screen's title.
func Heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// StreamNames lists the default account and region's streams, sorted: the navigation's children.
func StreamNames(eng *engine.Engine) []string {
	var names []string
	for _, st := range eng.Streams() {
		names = append(names, st.StreamName)
	}
	return names
}

// IntInRange is an entry validator for a whole number from lo to hi; what names it in the error.
func IntInRange(lo, hi int, what string) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%s must be a whole number", what)
		}
		if n < lo || n > hi {
			return fmt.Errorf("%s must be between %s and %s", what, Thousands(int64(lo)), Thousands(int64(hi)))
		}
		return nil
	}
}

// RetentionText says a retention period in days when it is whole days, else in hours: "1 day", "7 days", "36 h".
func RetentionText(hours int) string {
	if hours%24 == 0 {
		return Plural(hours/24, "day")
	}
	return strconv.Itoa(hours) + " h"
}
