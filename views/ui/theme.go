package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices in Settings; "system" follows the desktop's light or dark setting, Fyne's default.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// Preference keys of the appearance: the text size (a factor, 1 is Fyne's 14 px) persists; presentation mode is
// turned on for a talk and off after it, so it lasts until the app is closed.
const PrefTextScale = "appearance.textScale"

// TextScales are the sizes Settings offers.
var TextScales = []float64{1, 1.25, 1.5, 2}

// PresentationTextScale is the least text size in presentation mode: a projected 14 px line is unreadable from
// the back of a room.
const PresentationTextScale = 1.5

// Appearance is how the app looks: the theme choice, the text size and presentation mode (larger type, a
// high-contrast palette, the chrome hidden — the shell hides it).
type Appearance struct {
	Theme        string
	TextScale    float64
	Presentation bool
}

// appTheme is Fyne's default theme held to one variant (or following the system), with text and icons scaled and,
// in presentation mode, a black-and-white palette whose accents survive a washed-out projector.
type appTheme struct {
	fyne.Theme
	variant *fyne.ThemeVariant // nil: follow the system
	scale   float32
	vivid   bool
}

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	if t.vivid {
		if c, ok := presentationColor(n, v); ok {
			return c
		}
	}
	return t.Theme.Color(n, v)
}

// presentationColor is the high-contrast palette: pure background and foreground, a saturated primary, borders and
// separators that show.
func presentationColor(n fyne.ThemeColorName, v fyne.ThemeVariant) (color.Color, bool) {
	dark := v == theme.VariantDark
	bg, fg := color.Color(color.White), color.Color(color.Black)
	primary := color.NRGBA{0x00, 0x3f, 0xd1, 0xff}
	if dark {
		bg, fg = color.Black, color.White
		primary = color.NRGBA{0xff, 0xd2, 0x00, 0xff}
	}
	switch n {
	case theme.ColorNameBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return bg, true
	case theme.ColorNameForeground:
		return fg, true
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return primary, true
	case theme.ColorNameForegroundOnPrimary:
		if dark {
			return color.Black, true
		}
		return color.White, true
	case theme.ColorNameSeparator, theme.ColorNameInputBorder:
		return color.NRGBA{0x80, 0x80, 0x80, 0xff}, true
	case theme.ColorNamePlaceHolder, theme.ColorNameDisabled:
		if dark {
			return color.NRGBA{0xb0, 0xb0, 0xb0, 0xff}, true
		}
		return color.NRGBA{0x50, 0x50, 0x50, 0xff}, true
	}
	return nil, false
}

func (t appTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText,
		theme.SizeNameInlineIcon, theme.SizeNameInnerPadding:
		return s * t.scale
	case theme.SizeNameSeparatorThickness, theme.SizeNameInputBorder:
		if t.vivid {
			return s * 2 // thicker lines a projector does not lose
		}
	}
	return s
}

// presenting is whether presentation mode is on (UI goroutine only): it is not a preference, so the screens that
// change the appearance ask CurrentAppearance to keep it.
var presenting bool

// ApplyTheme sets the app's theme from its appearance.
func ApplyTheme(a fyne.App, ap Appearance) {
	presenting = ap.Presentation
	t := appTheme{Theme: theme.DefaultTheme(), scale: float32(max(ap.TextScale, 1)), vivid: ap.Presentation}
	if ap.Presentation {
		t.scale = max(t.scale, PresentationTextScale)
	}
	switch ap.Theme {
	case ThemeLight:
		v := theme.VariantLight
		t.variant = &v
	case ThemeDark:
		v := theme.VariantDark
		t.variant = &v
	}
	a.Settings().SetTheme(t)
}

// CurrentAppearance is the appearance in the preferences, with presentation mode as it is now.
func CurrentAppearance(a fyne.App) Appearance {
	p := a.Preferences()
	return Appearance{Theme: p.StringWithFallback(PrefTheme, ThemeSystem), TextScale: p.FloatWithFallback(PrefTextScale, 1),
		Presentation: presenting}
}
