// Package samples carries Shardlab's sample data inside the binary, so the first-start workspace and the load
// generator's sample files exist wherever the app runs, not only in a source checkout.
package samples

import "embed"

// FS holds the sample files, at their names in this directory.
//
//go:embed *.ndjson *.log
var FS embed.FS
