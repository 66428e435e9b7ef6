package cloudwatch

import (
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine/delivery"
)

// Sampled metrics: subsystems that count in totals (a delivery stream's records delivered so far) are read every
// 10 seconds, with the alarms' evaluation, and each interval's growth becomes a datapoint, as their service
// publishes it. They are kept in memory for sampledKept: unlike the engine's shard metrics they are not written
// to the database yet.
const (
	sampledKept = 3 * time.Hour
	// NamespaceFirehose is where the delivery streams' metrics are published.
	NamespaceFirehose = "AWS/Firehose"
)

// Sample is one metric's reading: a running total (Total) whose growth is the datapoint, or a level (a gauge).
type Sample struct {
	Metric Metric
	Value  float64
	Total  bool
	Unit   string
}

// Sampler reads a subsystem's metrics now.
type Sampler func() []Sample

type sampled struct {
	mu     sync.Mutex
	last   map[string]float64 // a running total's previous reading
	series map[string]*customSeries
}

// AddSampler reads sampler every 10 seconds from now on.
func (s *Service) AddSampler(sampler Sampler) {
	s.mu.Lock()
	s.samplers = append(s.samplers, sampler)
	s.mu.Unlock()
}

func (s *Service) sample(now time.Time) {
	s.mu.Lock()
	samplers := append([]Sampler(nil), s.samplers...)
	s.mu.Unlock()
	sm := &s.sampledMetrics
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.series == nil {
		sm.series, sm.last = map[string]*customSeries{}, map[string]float64{}
	}
	for _, read := range samplers {
		for _, x := range read() {
			x.Metric.Dimensions = sortedDims(x.Metric.Dimensions)
			k := x.Metric.key()
			v := x.Value
			if x.Total {
				// A total first seen counts from 0: the subsystems' totals start when their stream starts, as
				// this service does.
				prev := sm.last[k]
				sm.last[k] = x.Value
				if v = x.Value - prev; v < 0 {
					v = x.Value // the total started again (the delivery stream restarted)
				}
			}
			c := sm.series[k]
			if c == nil {
				c = &customSeries{Metric: x.Metric, Unit: x.Unit}
				sm.series[k] = c
			}
			c.Points = append(c.Points, point{T: now.UnixMilli(), Count: 1, Sum: v, Min: v, Max: v})
			cut := now.Add(-sampledKept).UnixMilli()
			for len(c.Points) > 0 && c.Points[0].T < cut {
				c.Points = c.Points[1:]
			}
		}
	}
}

// sampledSeries is a sampled metric's series (nil when none), and the sampled metrics there are.
func (s *Service) sampledSeries(key string) *customSeries {
	sm := &s.sampledMetrics
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if c := sm.series[key]; c != nil {
		cp := *c
		cp.Points = append([]point(nil), c.Points...)
		return &cp
	}
	return nil
}

func (s *Service) sampledList() []Metric {
	sm := &s.sampledMetrics
	sm.mu.Lock()
	defer sm.mu.Unlock()
	out := make([]Metric, 0, len(sm.series))
	for _, c := range sm.series {
		out = append(out, c.Metric)
	}
	return out
}

// FirehoseSampler publishes each running delivery stream's metrics under AWS/Firehose, with Firehose's names:
// IncomingRecords, DeliveryTo<Destination>.Records, .Bytes, .Success (1 for an interval that wrote an object
// and failed nothing, 0 for one that failed) and .DataFreshness (the oldest waiting record's age, seconds).
func FirehoseSampler(m *delivery.Manager) Sampler {
	return func() []Sample {
		var out []Sample
		for _, info := range m.List() {
			if info.State != "ACTIVE" {
				continue
			}
			dims := []Dimension{{"DeliveryStreamName", info.Spec.Name}}
			metric := func(name string) Metric {
				return Metric{Namespace: NamespaceFirehose, MetricName: name, Dimensions: dims}
			}
			mt := info.Metrics
			out = append(out, Sample{Metric: metric("IncomingRecords"), Value: float64(mt.Incoming), Total: true, Unit: "Count"})
			if len(info.Spec.Destinations) == 0 {
				continue
			}
			to := "DeliveryTo" + destinationName(info.Spec.Destinations[0].Kind)
			out = append(out,
				Sample{Metric: metric(to + ".Records"), Value: float64(mt.Delivered), Total: true, Unit: "Count"},
				Sample{Metric: metric(to + ".Bytes"), Value: float64(mt.DeliveredBytes), Total: true, Unit: "Bytes"},
				Sample{Metric: metric(to + ".DataFreshness"), Value: mt.Freshness.Seconds(), Unit: "Seconds"})
		}
		return out
	}
}

func destinationName(kind string) string {
	switch kind {
	case delivery.Folder, delivery.S3:
		return "S3"
	case delivery.HTTP:
		return "HttpEndpoint"
	case delivery.PG:
		return "PostgreSQL"
	case delivery.Stream:
		return "KinesisStream"
	}
	return kind
}
