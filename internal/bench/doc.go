// Package bench holds what Shardlab's benchmark harnesses share: latency summaries, the machine line every report
// starts with, figure formatting, and the producer workload (fixed-width keys, incompressible payloads, producers
// run side by side). The harnesses themselves live below it: enginebench measures the engine in process
// (`shardlab bench`), apibench measures the network API beside its peers and enhanced fan-out (`shardlab
// bench-api`, `shardlab bench-efo`). None of it is linked into anything but those commands.
package bench
