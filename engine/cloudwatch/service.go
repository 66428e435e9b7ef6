package cloudwatch

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Service answers CloudWatch's calls for one account of an engine.
type Service struct {
	eng     *engine.Engine
	account string
	now     func() time.Time

	mu       sync.Mutex
	custom   map[string]*customSeries
	alarms   map[string]*Alarm
	samplers []Sampler

	sampledMetrics sampled

	stop chan struct{}
	done chan struct{}
}

// Open loads the account's custom metrics and alarms and starts evaluating the alarms; now is the clock
// (time.Now when nil).
func Open(ctx context.Context, eng *engine.Engine, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	s := &Service{eng: eng, account: eng.DefaultScope().Account, now: now, stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.loadCustom(ctx); err != nil {
		return nil, err
	}
	if err := s.loadAlarms(ctx); err != nil {
		return nil, err
	}
	go s.evaluateLoop()
	return s, nil
}

// Close stops evaluating alarms.
func (s *Service) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
		<-s.done
	}
}

// streams lists the engine's streams with whether each has enhanced monitoring for a shard-level metric.
func (s *Service) streams(ctx context.Context) []engine.StreamSummary {
	var out []engine.StreamSummary
	token := ""
	for {
		limit := 1000
		res, err := s.eng.ListStreams(ctx, engine.ListStreamsInput{Limit: &limit, NextToken: token})
		if err != nil {
			return out
		}
		out = append(out, res.StreamSummaries...)
		if !res.HasMoreStreams || res.NextToken == "" {
			return out
		}
		token = res.NextToken
	}
}

// enhanced reports whether enhanced monitoring publishes the shard-level metric name for a stream.
func enhanced(sum engine.StreamSummary, name string) bool {
	return slices.Contains(sum.EnhancedMonitoring, "ALL") || slices.Contains(sum.EnhancedMonitoring, name)
}

// DimensionFilter is ListMetrics's filter on a dimension: a name, and a value when given.
type DimensionFilter struct {
	Name  string
	Value string
}

// ListMetrics lists the metrics there are: the engine's (shard-level ones for the metrics enhanced monitoring is
// on for) and the custom ones put, filtered as CloudWatch filters them, sorted.
func (s *Service) ListMetrics(ctx context.Context, namespace, name string, filters []DimensionFilter) []Metric {
	var all []Metric
	for _, st := range s.streams(ctx) {
		for n := range streamMetrics {
			all = append(all, Metric{Namespace: NamespaceKinesis, MetricName: n, Dimensions: []Dimension{{"StreamName", st.StreamName}}})
		}
		var shardIDs []string
		for n := range shardMetrics {
			if !enhanced(st, n) {
				continue
			}
			if shardIDs == nil {
				shardIDs = s.shardIDs(ctx, st.StreamName)
			}
			for _, id := range shardIDs {
				all = append(all, Metric{Namespace: NamespaceKinesis, MetricName: n,
					Dimensions: []Dimension{{"ShardId", id}, {"StreamName", st.StreamName}}})
			}
		}
	}
	s.mu.Lock()
	for _, c := range s.custom {
		all = append(all, c.Metric)
	}
	s.mu.Unlock()
	all = append(all, s.sampledList()...)
	var out []Metric
	for _, m := range all {
		if (namespace == "" || m.Namespace == namespace) && (name == "" || m.MetricName == name) && matchesFilters(m, filters) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

func matchesFilters(m Metric, filters []DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range m.Dimensions {
			found = found || (d.Name == f.Name && (f.Value == "" || d.Value == f.Value))
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Service) shardIDs(ctx context.Context, stream string) []string {
	var ids []string
	shards, err := s.eng.Shards(ctx, engine.StreamRef{StreamName: stream})
	if err != nil {
		return nil
	}
	for _, sh := range shards {
		ids = append(ids, sh.ShardId)
	}
	return ids
}
