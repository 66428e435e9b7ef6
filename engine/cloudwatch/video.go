package cloudwatch

import (
	"sync"

	"github.com/shardlab/shardlab/engine/video"
)

// NamespaceKinesisVideo is where the video streams' metrics are published.
const NamespaceKinesisVideo = "AWS/KinesisVideo"

// VideoSampler publishes each video stream's ingestion under AWS/KinesisVideo with Kinesis Video Streams' names:
// PutMedia.IncomingFragments, PutMedia.IncomingFrames and PutMedia.IncomingBytes (the fragments stored since the
// last reading) and PutMedia.FragmentIngestionLatency (their mean time from producer to server, milliseconds).
// Fragments stored before the first reading are history, not counted. A stream that keeps nothing (retention 0)
// publishes nothing.
func VideoSampler(store *video.Store) Sampler {
	var mu sync.Mutex
	last := map[string]uint64{}
	return func() []Sample {
		mu.Lock()
		defer mu.Unlock()
		var out []Sample
		for _, st := range store.ListStreams() {
			seen, known := last[st.Name]
			if !known {
				last[st.Name] = st.NextFragment - 1 // what was stored before counting began
				if st.NextFragment == 0 {
					last[st.Name] = 0
				}
				continue
			}
			frags, err := store.ListFragmentsAfter(st.Name, seen)
			if err != nil || len(frags) == 0 {
				continue
			}
			var bytes, frames int
			var latency float64
			for _, f := range frags {
				bytes += f.Size
				frames += f.Frames
				latency += float64(f.ServerTimestamp.Sub(f.ProducerTimestamp).Milliseconds())
				last[st.Name] = max(last[st.Name], f.Number)
			}
			dims := []Dimension{{"StreamName", st.Name}}
			metric := func(name string) Metric {
				return Metric{Namespace: NamespaceKinesisVideo, MetricName: name, Dimensions: dims}
			}
			out = append(out,
				Sample{Metric: metric("PutMedia.IncomingFragments"), Value: float64(len(frags)), Unit: "Count"},
				Sample{Metric: metric("PutMedia.IncomingFrames"), Value: float64(frames), Unit: "Count"},
				Sample{Metric: metric("PutMedia.IncomingBytes"), Value: float64(bytes), Unit: "Bytes"},
				Sample{Metric: metric("PutMedia.FragmentIngestionLatency"), Value: latency / float64(len(frags)), Unit: "Milliseconds"})
		}
		return out
	}
}
