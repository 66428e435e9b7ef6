//go:build !linux

package storage

// ReleaseMapped is a no-op where the mapping cannot be released page by page.
func (db *DB) ReleaseMapped() {}
