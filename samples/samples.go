// Package samples carries Shardlab's sample data inside the binary, so the first-start workspace and the load
// generator's sample files exist wherever the app runs, not only in a source checkout.
package samples

import "embed"

// FS holds the sample files, at their names in this directory, and the sample delivery pipelines under
// pipelines/ (JSON specs of engine/delivery: logs to a folder by hour, gzip; clickstream to Parquet by customer;
// IoT readings to PostgreSQL), the sample analytics applications under analytics/ (engine/analytics), and
// testpattern.ts, ten seconds of ffmpeg's test pattern and a tone (H.264 320×180, 25 fps, a key frame every 2 s, AAC),
// made with: ffmpeg -f lavfi -i testsrc2=size=320x180:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000
// -t 10 -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -b:v 250k -c:a aac
// -b:a 48k -f mpegts testpattern.ts
// The built-in lessons are under lessons/ (YAML, engine/lessons; the format is docs/lessons.md).
//
//go:embed *.ndjson *.log *.ts pipelines/*.json analytics/*.json lessons/*.yaml
var FS embed.FS
