package lessons

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/iam"
)

// UserAction makes an IAM user (named lesson-…, so it never clashes with yours); the lesson deletes it, its keys
// and its policies when it ends.
type UserAction struct {
	Name string `yaml:"name,required"`
}

// UserPolicyAction puts an inline policy on one of the lesson's users.
type UserPolicyAction struct {
	User     string `yaml:"user,required"`
	Name     string `yaml:"name,required"`
	Document string `yaml:"document,required"`
}

// ResourcePolicyAction puts a resource policy on one of the lesson's streams.
type ResourcePolicyAction struct {
	Stream   string `yaml:"stream,required"`
	Document string `yaml:"document,required"`
}

// TryAction makes a call as one of the lesson's users, as a signed request would: the API's decider decides it
// (it shows on the Access screen's Decisions tab) and, when it is allowed, a kinesis:PutRecord puts one record.
type TryAction struct {
	As     string `yaml:"as,required"`
	Action string `yaml:"action,required"`
	Stream string `yaml:"stream,required"`
}

// AccessCheck: what IAM decides now (as the policy simulator answers) for a lesson user's action on a stream.
type AccessCheck struct {
	As       string `yaml:"as,required"`
	Action   string `yaml:"action,required"`
	Stream   string `yaml:"stream,required"`
	Decision string `yaml:"decision,required"` // allowed, implicitDeny or explicitDeny
}

// DecidedCheck: since the step opened the API decided a lesson user's action on a stream so (a call someone made
// with the user's keys, or a try).
type DecidedCheck AccessCheck

var decisions = []string{"allowed", "implicitDeny", "explicitDeny"}

func validateUserName(what, name string) error {
	if !strings.HasPrefix(name, "lesson-") {
		return fmt.Errorf("%s: user %q: a lesson's users are named lesson-…, so they never clash with yours", what, name)
	}
	return nil
}

func (c AccessCheck) validate(what string, n *names) error {
	if !strings.Contains(c.Action, ":") {
		return fmt.Errorf("%s: action %q is service:Action, e.g. kinesis:PutRecord", what, c.Action)
	}
	found := false
	for _, d := range decisions {
		found = found || d == c.Decision
	}
	if !found {
		return fmt.Errorf("%s: decision %q is one of %s", what, c.Decision, strings.Join(decisions, ", "))
	}
	if err := n.need(n.users, "user", c.As); err != nil {
		return err
	}
	return n.need(n.streams, "stream", c.Stream)
}

func (s *Session) decider() (*iam.Decider, error) {
	if s.ws.Access == nil {
		return nil, errors.New("this app runs without IAM")
	}
	return s.ws.Access, nil
}

func (s *Session) userARN(name string) string {
	return "arn:aws:iam::" + s.ws.Engine.DefaultScope().Account + ":user/" + name
}

func (s *Session) streamARN(name string) string {
	return engine.StreamARN(s.ws.Engine.DefaultScope(), name)
}

func (s *Session) createUser(ctx context.Context, a *UserAction) error {
	d, err := s.decider()
	if err != nil {
		return err
	}
	removeUser(ctx, d.Store, a.Name) // a lesson left open by a crash made it before
	if _, err := d.Store.CreateUser(ctx, a.Name); err != nil {
		return err
	}
	s.mu.Lock()
	s.users = append(s.users, a.Name)
	s.mu.Unlock()
	return nil
}

// removeUser deletes a user with what IAM makes one delete first: its keys, inline and attached policies.
func removeUser(ctx context.Context, st *iam.Store, name string) {
	u, err := st.GetUser(name)
	if err != nil {
		return
	}
	keys, _ := st.AccessKeys(name)
	for _, k := range keys {
		_ = st.DeleteAccessKey(ctx, name, k.ID)
	}
	for p := range u.Policies {
		_ = st.DeleteUserPolicy(ctx, name, p)
	}
	for _, p := range u.Attached {
		_ = st.DetachUserPolicy(ctx, name, p)
	}
	_ = st.DeleteUser(ctx, name)
}

func (s *Session) putUserPolicy(ctx context.Context, a *UserPolicyAction) error {
	d, err := s.decider()
	if err != nil {
		return err
	}
	return d.Store.PutUserPolicy(ctx, a.User, a.Name, a.Document)
}

func (s *Session) putResourcePolicy(ctx context.Context, a *ResourcePolicyAction) error {
	if _, err := iam.ParsePolicy(a.Document, true); err != nil {
		return err
	}
	return s.ws.Engine.PutResourcePolicy(ctx, s.streamARN(a.Stream), a.Document)
}

func (s *Session) try(ctx context.Context, a *TryAction) error {
	d, err := s.decider()
	if err != nil {
		return err
	}
	dec := d.Decide(ctx, iam.Question{Principal: s.userARN(a.As), Action: a.Action, Resource: s.streamARN(a.Stream),
		Region: s.ws.Engine.DefaultScope().Region, SourceIP: "127.0.0.1"})
	if dec.Allowed && strings.EqualFold(a.Action, "kinesis:PutRecord") {
		_, err := s.ws.Engine.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: a.Stream},
			PartitionKey: a.As, Data: []byte(`{"from":"` + a.As + `"}`)})
		return err
	}
	return nil
}

func verdictOf(d iam.Decision) string {
	switch {
	case d.Allowed:
		return "allowed"
	case d.Explicit:
		return "explicitDeny"
	}
	return "implicitDeny"
}

func (s *Session) access(ctx context.Context, c *AccessCheck) Result {
	r := Result{Want: fmt.Sprintf("IAM's answer to %s's %s on %s is %s", c.As, c.Action, c.Stream, c.Decision), Now: "no IAM here"}
	d, err := s.decider()
	if err != nil {
		return r
	}
	dec := d.Simulate(ctx, iam.Question{Principal: s.userARN(c.As), Action: c.Action, Resource: s.streamARN(c.Stream),
		Region: s.ws.Engine.DefaultScope().Region, SourceIP: "127.0.0.1"})
	r.Now = verdictOf(dec)
	if dec.By != "" {
		r.Now += ", by " + dec.By
	}
	r.Met = verdictOf(dec) == c.Decision
	return r
}

func (s *Session) decided(c *DecidedCheck) Result {
	r := Result{Want: fmt.Sprintf("a call by %s to %s on %s was %s", c.As, c.Action, c.Stream, c.Decision), Now: "no such call yet"}
	d, err := s.decider()
	if err != nil || d.Log == nil {
		return r
	}
	s.mu.Lock()
	since := s.stepStart
	s.mu.Unlock()
	latest, _ := d.Log.Latest(200)
	for _, e := range latest {
		if e.Time.Before(since) {
			break
		}
		if e.Question.Principal != s.userARN(c.As) || !strings.EqualFold(e.Question.Action, c.Action) || e.Question.Resource != s.streamARN(c.Stream) {
			continue
		}
		r.Now = verdictOf(e.Decision)
		r.Met = r.Now == c.Decision
		return r
	}
	return r
}
