// Package views holds Shardlab's Fyne screens, one file per screen, and views/widgets its custom widgets. Views
// render what the engine reports and call its Go API; they never touch bbolt or HTTP, and never wait on the engine
// from the UI goroutine.
package views
