package lessons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/iam"
)

// Action is one thing a lesson's setup or a step's Show me does, through the same engine API the screens use.
type Action struct {
	StartProducer     *string               `yaml:"start_producer"`
	StopProducer      *string               `yaml:"stop_producer"`
	Put               *PutAction            `yaml:"put"`
	PutBatch          *BatchAction          `yaml:"put_batch"`
	Read              *ReadAction           `yaml:"read"`
	SplitHotKey       *StreamAction         `yaml:"split_hot_key"`
	Merge             *MergeAction          `yaml:"merge"`
	Scale             *ScaleAction          `yaml:"scale"`
	StartReader       *ReaderAction         `yaml:"start_reader"`
	KillWorker        *KillAction           `yaml:"kill_worker"`
	CreateDelivery    *DeliveryAction       `yaml:"create_delivery"`
	CreateAnalytics   *AnalyticsAction      `yaml:"create_analytics"`
	ImportVideo       *VideoAction          `yaml:"import_video"`
	CreateUser        *UserAction           `yaml:"create_user"`
	PutUserPolicy     *UserPolicyAction     `yaml:"put_user_policy"`
	PutResourcePolicy *ResourcePolicyAction `yaml:"put_resource_policy"`
	Try               *TryAction            `yaml:"try"`
	CreateAlarm       *AlarmAction          `yaml:"create_alarm"`
	Wait              *time.Duration        `yaml:"wait"`
}

func (Action) alternatives() {}

// StreamAction names a stream: split_hot_key splits its hottest open shard at that shard's heaviest key.
type StreamAction struct {
	Stream string `yaml:"stream,required"`
}

// MergeAction merges an open shard with the open shard next to it above (by their numbers on the map).
type MergeAction struct {
	Stream string `yaml:"stream,required"`
	Shard  int    `yaml:"shard"`
	With   int    `yaml:"with,required"`
}

// ScaleAction is UpdateShardCount with UNIFORM_SCALING.
type ScaleAction struct {
	Stream string `yaml:"stream,required"`
	To     int    `yaml:"to,required"`
}

func (a *Action) validate(n *names) error {
	switch {
	case a.StartProducer != nil:
		return n.need(n.producers, "producer", *a.StartProducer)
	case a.StopProducer != nil:
		return n.need(n.producers, "producer", *a.StopProducer)
	case a.Put != nil:
		return a.Put.validate(n)
	case a.PutBatch != nil:
		return a.PutBatch.validate(n)
	case a.Read != nil:
		return a.Read.validate(n)
	case a.SplitHotKey != nil:
		return n.need(n.streams, "stream", a.SplitHotKey.Stream)
	case a.Merge != nil:
		return n.need(n.streams, "stream", a.Merge.Stream)
	case a.Scale != nil:
		return n.need(n.streams, "stream", a.Scale.Stream)
	case a.StartReader != nil:
		return a.StartReader.validate(n)
	case a.KillWorker != nil:
		return n.need(n.readers, "reader", a.KillWorker.Reader)
	case a.CreateDelivery != nil:
		return a.CreateDelivery.validate(n)
	case a.CreateAnalytics != nil:
		return a.CreateAnalytics.validate(n)
	case a.ImportVideo != nil:
		return a.ImportVideo.validate(n)
	case a.CreateUser != nil:
		if err := validateUserName("create_user", a.CreateUser.Name); err != nil {
			return err
		}
		n.define(&n.users, a.CreateUser.Name)
	case a.PutUserPolicy != nil:
		if _, err := iam.ParsePolicy(a.PutUserPolicy.Document, false); err != nil {
			return fmt.Errorf("put_user_policy: %v", err)
		}
		return n.need(n.users, "user", a.PutUserPolicy.User)
	case a.PutResourcePolicy != nil:
		if _, err := iam.ParsePolicy(a.PutResourcePolicy.Document, true); err != nil {
			return fmt.Errorf("put_resource_policy: %v", err)
		}
		return n.need(n.streams, "stream", a.PutResourcePolicy.Stream)
	case a.CreateAlarm != nil:
		return a.CreateAlarm.validate(n)
	case a.Try != nil:
		if err := n.need(n.users, "user", a.Try.As); err != nil {
			return err
		}
		return n.need(n.streams, "stream", a.Try.Stream)
	case a.Wait != nil:
		if *a.Wait > time.Minute {
			return fmt.Errorf("wait %s: at most 1m", *a.Wait)
		}
	}
	return nil
}

// run does the action.
func (s *Session) run(ctx context.Context, a *Action) error {
	switch {
	case a.StartProducer != nil:
		return s.ws.Generators.Start(s.producers[*a.StartProducer])
	case a.StopProducer != nil:
		return s.ws.Generators.Stop(s.producers[*a.StopProducer])
	case a.Put != nil:
		return s.put(ctx, a.Put)
	case a.PutBatch != nil:
		return s.putBatch(ctx, a.PutBatch)
	case a.Read != nil:
		return s.read(ctx, a.Read)
	case a.SplitHotKey != nil:
		return s.splitHotKey(ctx, a.SplitHotKey.Stream)
	case a.Merge != nil:
		return s.ws.Engine.MergeShards(ctx, engine.MergeShardsInput{StreamRef: engine.StreamRef{StreamName: a.Merge.Stream},
			ShardToMerge: shardID(a.Merge.Shard), AdjacentShardToMerge: shardID(a.Merge.With)})
	case a.Scale != nil:
		_, err := s.ws.Engine.UpdateShardCount(ctx, engine.UpdateShardCountInput{
			StreamRef: engine.StreamRef{StreamName: a.Scale.Stream}, TargetShardCount: a.Scale.To, ScalingType: "UNIFORM_SCALING"})
		return err
	case a.StartReader != nil:
		return s.startReader(ctx, a.StartReader)
	case a.KillWorker != nil:
		return s.kill(a.KillWorker)
	case a.CreateDelivery != nil:
		return s.createDelivery(a.CreateDelivery)
	case a.CreateAnalytics != nil:
		return s.createAnalytics(a.CreateAnalytics)
	case a.ImportVideo != nil:
		return s.importVideo(ctx, a.ImportVideo)
	case a.CreateUser != nil:
		return s.createUser(ctx, a.CreateUser)
	case a.PutUserPolicy != nil:
		return s.putUserPolicy(ctx, a.PutUserPolicy)
	case a.PutResourcePolicy != nil:
		return s.putResourcePolicy(ctx, a.PutResourcePolicy)
	case a.Try != nil:
		return s.try(ctx, a.Try)
	case a.CreateAlarm != nil:
		return s.createAlarm(ctx, a.CreateAlarm)
	case a.Wait != nil:
		t := time.NewTimer(*a.Wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func shardID(n int) string { return fmt.Sprintf("shardId-%012d", n) }

// splitHotKey splits the open shard with the most bytes in the last 10 s at its heaviest key, as the dashboard's
// "Split at hot key" does.
func (s *Session) splitHotKey(ctx context.Context, stream string) error {
	var snap engine.MetricsSnapshot
	if err := s.ws.Engine.Metrics(ctx, engine.StreamRef{StreamName: stream}, 10, &snap); err != nil {
		return err
	}
	var hottest *engine.ShardMetrics
	var most uint64
	for i := range snap.Shards {
		sh := &snap.Shards[i]
		var sum uint64
		for _, v := range sh.Series[engine.IncomingBytes] {
			sum += uint64(v)
		}
		if sh.Open && sum > most && len(sh.TopKeys) > 0 {
			hottest, most = sh, sum
		}
	}
	if hottest == nil {
		return errors.New("split_hot_key: no open shard has had traffic in the last 10 s: start the producer first")
	}
	at, ok := engine.HotKeySplitPoint(hottest.Range, hottest.TopKeys[0])
	if !ok {
		return fmt.Errorf("split_hot_key: shard %d has no key above %.0f %% of its traffic", hottest.Index, 100*engine.MinHotShare)
	}
	return s.ws.Engine.SplitShard(ctx, engine.SplitShardInput{StreamRef: engine.StreamRef{StreamName: stream},
		ShardToSplit: hottest.ShardId, NewStartingHashKey: at.String()})
}

// DeliveryAction creates (and starts) a delivery stream; Spec is the pipeline as the Delivery screen imports it,
// written in YAML. Its name must start with the lesson's streams' "lesson-".
type DeliveryAction struct {
	Spec map[string]any `yaml:"spec,required"`
}

func (a *DeliveryAction) parse() (delivery.Spec, error) {
	b, err := json.Marshal(a.Spec)
	if err != nil {
		return delivery.Spec{}, err
	}
	return delivery.ParseSpec(b)
}

func (a *DeliveryAction) validate(n *names) error {
	spec, err := a.parse()
	if err != nil {
		return fmt.Errorf("create_delivery: %w", err)
	}
	n.define(&n.deliveries, spec.Name)
	return n.need(n.streams, "stream", spec.Source.Stream)
}

func (s *Session) createDelivery(a *DeliveryAction) error {
	if s.ws.Deliveries == nil {
		return errors.New("create_delivery: this app runs without delivery streams")
	}
	spec, _ := a.parse()
	_ = s.ws.Deliveries.Delete(spec.Name) // a run before a crash may have left it
	if err := s.ws.Deliveries.Create(spec, true); err != nil {
		return err
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, spec.Name)
	s.mu.Unlock()
	return nil
}

func (s *Session) delivery(c *DeliveryCheck) Result {
	var want []string
	if c.ObjectsAtLeast != nil {
		want = append(want, fmt.Sprintf("writes at least %d objects", *c.ObjectsAtLeast))
	}
	if c.DeliveredAtLeast != nil {
		want = append(want, fmt.Sprintf("delivers at least %d records", *c.DeliveredAtLeast))
	}
	if c.FailedAtLeast != nil {
		want = append(want, fmt.Sprintf("sends at least %d records to its error output", *c.FailedAtLeast))
	}
	r := Result{Want: "delivery stream " + c.Name + " " + joinAnd(want), Now: "not running"}
	if s.ws.Deliveries == nil {
		return r
	}
	info, err := s.ws.Deliveries.Get(c.Name)
	if err != nil {
		r.Now = err.Error()
		return r
	}
	m := info.Metrics
	failed := m.ProcessingFailed + m.DeliveryFailed
	r.Now = fmt.Sprintf("%d read, %d delivered in %d objects, %d to the error output", m.Incoming, m.Delivered, m.Objects, failed)
	r.Met = atLeast(m.Objects, c.ObjectsAtLeast) && atLeast(m.Delivered, c.DeliveredAtLeast) && atLeast(failed, c.FailedAtLeast)
	return r
}

// AnalyticsAction creates (and starts) an analytics application over a lesson stream.
type AnalyticsAction struct {
	Name    string        `yaml:"name,required"`
	Stream  string        `yaml:"stream,required"`
	Start   string        `yaml:"start"`
	Queries []QueryAction `yaml:"queries,required"`
}

// QueryAction is one of an application's queries, in the analytics query language.
type QueryAction struct {
	Name string `yaml:"name,required"`
	Text string `yaml:"text,required"`
}

func (a *AnalyticsAction) spec() analytics.AppSpec {
	spec := analytics.AppSpec{Name: a.Name, Source: analytics.Source{Stream: a.Stream, Start: a.Start}}
	for _, q := range a.Queries {
		spec.Queries = append(spec.Queries, analytics.QuerySpec{Name: q.Name, Text: q.Text})
	}
	return spec
}

func (a *AnalyticsAction) validate(n *names) error {
	for _, q := range a.Queries {
		if _, err := analytics.Compile(q.Text); err != nil {
			return fmt.Errorf("create_analytics: query %s: %w", q.Name, err)
		}
	}
	n.define(&n.apps, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

func (s *Session) createAnalytics(a *AnalyticsAction) error {
	if s.ws.Analytics == nil {
		return errors.New("create_analytics: this app runs without analytics")
	}
	_ = s.ws.Analytics.Delete(a.Name)
	if err := s.ws.Analytics.Create(a.spec(), true); err != nil {
		return err
	}
	s.mu.Lock()
	s.apps = append(s.apps, a.Name)
	s.mu.Unlock()
	return nil
}

func (s *Session) analytics(c *AnalyticsCheck) Result {
	var want []string
	if c.RowsAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d rows", *c.RowsAtLeast))
	}
	if c.LateAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d late records", *c.LateAtLeast))
	}
	r := Result{Want: fmt.Sprintf("query %s of %s: %s", c.Query, c.App, joinAnd(want)), Now: "not running"}
	if s.ws.Analytics == nil {
		return r
	}
	for _, info := range s.ws.Analytics.List() {
		if info.Spec.Name != c.App {
			continue
		}
		for _, q := range info.Queries {
			if q.Name == c.Query {
				r.Now = fmt.Sprintf("%d rows, %d late", q.Stats.Rows, q.Stats.Late)
				r.Met = atLeast(q.Stats.Rows, c.RowsAtLeast) && atLeast(q.Stats.Late, c.LateAtLeast)
			}
		}
	}
	return r
}
