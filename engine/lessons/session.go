package lessons

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
)

// Workspace is what a lesson works on: the app's engine and subsystems (a nil one makes the lessons that need it
// fail at the step that does).
type Workspace struct {
	Engine     *engine.Engine
	Generators *loadgen.Manager
	Deliveries *delivery.Manager
	Analytics  *analytics.Manager
	Video      *video.Store
	// Access is the account's IAM (users, policies, the API's decisions), for the lessons about access.
	Access *iam.Decider
	// Metrics is CloudWatch's metrics and alarms, for the lessons about monitoring.
	Metrics *cloudwatch.Service
}

// lessonTag marks a stream as a lesson's: only streams carrying it are ever deleted by a lesson.
const lessonTag = "shardlab:lesson"

// Session is an open lesson: its resources exist, and it knows which step is open and which are met.
type Session struct {
	ws     *Workspace
	lesson *Lesson

	mu         sync.Mutex
	step       int
	stepStart  time.Time
	met        []bool
	producers  map[string]int // name → generator id
	readers    map[string]*reader
	puts       map[string]putResult
	batches    map[string]batchResult
	reads      map[string]int
	deliveries []string
	apps       []string
	videos     []string
	streams    []string // the streams this session made: the only ones it deletes
	users      []string // the IAM users this session made
	alarms     []string // the CloudWatch alarms this session made
	// baselines are the counters at the moment the open step opened, per check: a counting check counts what
	// came after (metrics are per second, so a window "since the step opened" would take in the second before).
	baselines    map[int]uint64
	producerBase map[int]loadgen.Second
}

// Open sets the lesson up: its streams (made fresh), producers (stopped) and setup actions, and opens step 1.
func Open(ctx context.Context, ws *Workspace, l *Lesson) (*Session, error) {
	s := &Session{ws: ws, lesson: l}
	if err := s.setUp(ctx); err != nil {
		s.tearDown(context.Background())
		return nil, err
	}
	return s, nil
}

// Lesson is the lesson the session runs.
func (s *Session) Lesson() *Lesson { return s.lesson }

func (s *Session) setUp(ctx context.Context) error {
	s.mu.Lock()
	s.met = make([]bool, len(s.lesson.Steps))
	s.producers, s.readers = map[string]int{}, map[string]*reader{}
	s.puts, s.batches, s.reads = map[string]putResult{}, map[string]batchResult{}, map[string]int{}
	s.mu.Unlock()
	for _, st := range s.lesson.Streams {
		if err := s.freshStream(ctx, st); err != nil {
			return err
		}
	}
	for _, p := range s.lesson.Producers {
		if s.ws.Generators == nil {
			return errors.New("this app runs without producers")
		}
		id, err := s.ws.Generators.Add(p.config())
		if err != nil {
			return fmt.Errorf("producer %s: %w", p.Name, err)
		}
		s.mu.Lock()
		s.producers[p.Name] = id
		s.mu.Unlock()
	}
	for i := range s.lesson.Setup {
		if err := s.run(ctx, &s.lesson.Setup[i]); err != nil {
			return fmt.Errorf("setting up: %w", err)
		}
	}
	s.openStep(ctx, 0)
	return nil
}

// openStep makes step i the open one and takes its checks' baselines.
func (s *Session) openStep(ctx context.Context, i int) {
	base, pbase := map[int]uint64{}, map[int]loadgen.Second{}
	for j, c := range s.lesson.Steps[i].Check {
		switch {
		case c.Metric != nil && c.Metric.Last == 0:
			base[j], _ = s.metricSum(ctx, c.Metric, metricsKept)
		case c.Producer != nil && s.ws.Generators != nil:
			s.mu.Lock()
			id := s.producers[c.Producer.Name]
			s.mu.Unlock()
			if st, err := s.ws.Generators.Status(id); err == nil {
				pbase[j] = st.Totals
			}
		}
	}
	s.mu.Lock()
	s.step, s.stepStart, s.baselines, s.producerBase = i, time.Now(), base, pbase
	s.mu.Unlock()
}

// freshStream deletes the lesson's stream if a run left it (only when it carries the lesson's tag) and makes it.
func (s *Session) freshStream(ctx context.Context, st StreamSetup) error {
	ref := engine.StreamRef{StreamName: st.Name}
	if _, err := s.ws.Engine.DescribeStreamSummary(ctx, ref); err == nil {
		tags, err := s.ws.Engine.ListTagsForStream(ctx, ref, "", nil)
		if err != nil {
			return err
		}
		ours := false
		for _, t := range tags.Tags {
			ours = ours || (t.Key == lessonTag && t.Value == s.lesson.ID)
		}
		if !ours {
			return fmt.Errorf("a stream named %s exists and is not this lesson's: rename or delete it to take the lesson", st.Name)
		}
		if err := s.deleteStream(ctx, st.Name); err != nil {
			return err
		}
	}
	n := st.Shards
	if err := s.ws.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: st.Name, ShardCount: &n,
		Tags: map[string]string{lessonTag: s.lesson.ID}}); err != nil {
		return err
	}
	s.mu.Lock()
	s.streams = append(s.streams, st.Name)
	s.mu.Unlock()
	return s.ws.Engine.SetLimitsEnforced(ctx, ref, !st.NoLimits)
}

func (s *Session) deleteStream(ctx context.Context, name string) error {
	if s.ws.Generators != nil {
		if err := s.ws.Generators.RemoveStream(name); err != nil {
			return err
		}
	}
	err := s.ws.Engine.DeleteStream(ctx, engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: name},
		EnforceConsumerDeletion: true})
	if err != nil && engine.ErrorCode(err) != engine.ErrResourceNotFound {
		return err
	}
	// Deletion finishes in the background (DELETING, as on Kinesis): wait until the name is free.
	for range 100 {
		if _, err := s.ws.Engine.DescribeStreamSummary(ctx, engine.StreamRef{StreamName: name}); err != nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("stream %s is still being deleted", name)
}

// tearDown stops and removes everything the lesson made.
func (s *Session) tearDown(ctx context.Context) {
	s.mu.Lock()
	readers, deliveries, apps, videos, streams, users := s.readers, s.deliveries, s.apps, s.videos, s.streams, s.users
	s.readers, s.deliveries, s.apps, s.videos, s.streams, s.users = map[string]*reader{}, nil, nil, nil, nil, nil
	alarms := s.alarms
	s.alarms = nil
	s.mu.Unlock()
	if len(alarms) > 0 {
		_ = s.ws.Metrics.DeleteAlarms(ctx, alarms)
	}
	for _, u := range users {
		removeUser(ctx, s.ws.Access.Store, u)
	}
	for _, r := range readers {
		r.cancel()
		if r.cfg.Kind == "kcl" {
			_ = consumer.DeleteApplication(ctx, s.ws.Engine, r.app, r.arn)
		}
	}
	for _, d := range deliveries {
		_ = s.ws.Deliveries.Delete(d)
	}
	for _, a := range apps {
		_ = s.ws.Analytics.Delete(a)
	}
	for _, v := range videos {
		_ = s.ws.Video.DeleteStream(v)
	}
	for _, name := range streams {
		_ = s.deleteStream(ctx, name)
	}
}

// Reset puts the lesson back to its start: everything it made is removed and made again, and step 1 opens.
func (s *Session) Reset(ctx context.Context) error {
	s.tearDown(ctx)
	return s.setUp(ctx)
}

// Close removes everything the lesson made; the user's own streams were never touched.
func (s *Session) Close() { s.tearDown(context.Background()) }

// State is the session as the screen shows it.
type State struct {
	Step    int    // the open step, from 0
	Met     []bool // per step
	Results []Result
}

// Poll evaluates the open step's checks; when all hold, the step is met and the next one opens.
func (s *Session) Poll(ctx context.Context) State {
	s.mu.Lock()
	step := s.step
	s.mu.Unlock()
	checks := s.lesson.Steps[step].Check
	results := make([]Result, len(checks))
	all := true
	for i := range checks {
		results[i] = s.evaluate(ctx, &checks[i])
		all = all && results[i].Met
	}
	s.mu.Lock()
	advance := all && s.step == step && step+1 < len(s.lesson.Steps)
	if all && s.step == step {
		s.met[step] = true
	}
	st := State{Step: step, Met: append([]bool(nil), s.met...), Results: results}
	s.mu.Unlock()
	if advance {
		s.openStep(ctx, step+1)
	}
	return st
}

// Go opens step i (the presenter's ← and →); its counting checks count from now.
func (s *Session) Go(ctx context.Context, i int) {
	if i >= 0 && i < len(s.lesson.Steps) && i != s.Step() {
		s.openStep(ctx, i)
	}
}

// Step is the open step's index.
func (s *Session) Step() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.step
}

// ShowMe does the open step for the presenter.
func (s *Session) ShowMe(ctx context.Context) error {
	s.mu.Lock()
	step := s.lesson.Steps[s.step]
	s.mu.Unlock()
	for i := range step.ShowMe {
		if err := s.run(ctx, &step.ShowMe[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) producer(c *ProducerCheck) Result {
	var want []string
	if c.AcceptedAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d records accepted", *c.AcceptedAtLeast))
	}
	if c.ThrottledAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d refused", *c.ThrottledAtLeast))
	}
	r := Result{Want: "producer " + c.Name + ": " + joinAnd(want) + " since this step opened", Now: "not running"}
	s.mu.Lock()
	id := s.producers[c.Name]
	s.mu.Unlock()
	st, err := s.ws.Generators.Status(id)
	if err != nil {
		return r
	}
	// Totals count since the producer was made: the step's share is what came since the step opened.
	s.mu.Lock()
	var base loadgen.Second
	for j := range s.lesson.Steps[s.step].Check {
		if s.lesson.Steps[s.step].Check[j].Producer == c {
			base = s.producerBase[j]
		}
	}
	s.mu.Unlock()
	accepted, throttled := st.Totals.Accepted-base.Accepted, st.Totals.Throttled-base.Throttled
	r.Now = fmt.Sprintf("%d accepted, %d refused", accepted, throttled)
	r.Met = atLeast(accepted, c.AcceptedAtLeast) && atLeast(throttled, c.ThrottledAtLeast)
	return r
}
