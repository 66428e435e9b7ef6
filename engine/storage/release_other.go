//go:build !linux

package storage

import bolt "go.etcd.io/bbolt"

// Where the mapping cannot be released page by page, these do nothing.

// ReleaseMapped is a no-op here.
func (db *DB) ReleaseMapped() {}

// ReleaseRecent is a no-op here.
func (db *DB) ReleaseRecent() {}

type pageRuns struct{}

func newPageRuns(*bolt.Tx) pageRuns { return pageRuns{} }

func (p *pageRuns) add([]byte) {}
func (p *pageRuns) flush()     {}
