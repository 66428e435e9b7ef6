// Package assets holds the app's bundled resources.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the app and window icon.
var Icon = fyne.NewStaticResource("icon.png", iconPNG)
