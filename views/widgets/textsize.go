package widgets

import "fyne.io/fyne/v2/theme"

// SmallText is the size of axis labels, legends and card text: 11 px at Fyne's 14 px text, and as much larger as
// the theme's text is (Settings' text size, presentation mode), so labels grow with everything else.
func SmallText() float32 { return theme.Size(theme.SizeNameText) * 11 / 14 }
