// Package samples carries Shardlab's sample data inside the binary, so the first-start workspace and the load
// generator's sample files exist wherever the app runs, not only in a source checkout.
package samples

import "embed"

// FS holds the sample files, at their names in this directory, and the sample delivery pipelines under
// pipelines/ (JSON specs of engine/delivery: logs to a folder by hour, gzip; clickstream to Parquet by customer;
// IoT readings to PostgreSQL), and the sample analytics applications under analytics/ (engine/analytics).
//
//go:embed *.ndjson *.log pipelines/*.json analytics/*.json
var FS embed.FS
