package iam

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Question is one authorization question as a server or the policy simulator asks it.
type Question struct {
	Principal string // the caller's ARN (a user, the root, an assumed-role session)
	Action    string // service:Action
	Resource  string // the resource's ARN, or "*"
	Region    string
	SourceIP  string // the caller's address, for aws:SourceIp
	TLS       bool   // the request came over TLS (aws:SecureTransport)
}

// Decider answers questions with the account's identity policies and the resources' policies (a stream's or a
// consumer's stream's, as PutResourcePolicy stored them), and remembers its latest decisions.
type Decider struct {
	Store *Store
	Eng   *engine.Engine
	Log   *DecisionLog
	Now   func() time.Time // time.Now when nil

	parsed sync.Map // policy document → *Policy: a request must not pay for parsing the same document again
}

// Decide answers q and records the decision in the log.
func (d *Decider) Decide(ctx context.Context, q Question) Decision {
	dec := d.Simulate(ctx, q)
	if d.Log != nil {
		d.Log.Add(Logged{Time: d.now(), Question: q, Decision: dec})
	}
	return dec
}

func (d *Decider) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Simulate answers q without recording it, as IAM's policy simulator does.
func (d *Decider) Simulate(ctx context.Context, q Question) Decision {
	sources := d.Store.IdentityPolicies(q.Principal)
	streamARN := ""
	if strings.HasPrefix(q.Resource, "arn:aws:kinesis:") {
		streamARN = q.Resource
		if i := strings.Index(streamARN, "/consumer/"); i >= 0 {
			streamARN = streamARN[:i]
		}
		if doc, err := d.Eng.GetResourcePolicy(ctx, streamARN); err == nil && doc != "" {
			if p := d.parse(doc, true); p != nil {
				sources = append(sources, Source{Name: "resource policy of " + streamARN[strings.LastIndex(streamARN, ":")+1:], Policy: p, Resource: true})
			}
		}
	}
	req := d.RequestFor(q)
	if streamARN != "" && wantsResourceTags(sources) {
		if tags, err := d.Eng.ListTagsForResource(ctx, streamARN); err == nil {
			for _, t := range tags {
				req.Context.Set("aws:ResourceTag/"+t.Key, t.Value)
			}
		}
	}
	return Evaluate(req, sources)
}

// RequestFor is q as IAM evaluates it: the principal resolved and the request's condition keys set.
func (d *Decider) RequestFor(q Question) Request {
	who := d.Store.Resolve(q.Principal)
	now := d.now().UTC()
	c := Context{}
	c.Set("aws:CurrentTime", now.Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	c.Set("aws:SecureTransport", strconv.FormatBool(q.TLS))
	c.Set("aws:PrincipalArn", q.Principal)
	if who.Role != "" {
		c.Set("aws:PrincipalArn", who.Role) // IAM gives a session's role here, not the session
	}
	c.Set("aws:PrincipalAccount", d.Store.AccountID())
	c.Set("aws:PrincipalType", who.Type)
	if who.UserID != "" {
		c.Set("aws:userid", who.UserID)
	}
	if who.Name != "" {
		c.Set("aws:username", who.Name)
	}
	if q.SourceIP != "" {
		c.Set("aws:SourceIp", q.SourceIP)
	}
	if q.Region != "" {
		c.Set("aws:RequestedRegion", q.Region)
	}
	return Request{Principal: q.Principal, Account: d.Store.AccountID(), Root: who.Type == "Account",
		Action: q.Action, Resource: q.Resource, Role: who.Role, Context: c}
}

func (d *Decider) parse(doc string, resource bool) *Policy {
	if p, ok := d.parsed.Load(doc); ok {
		return p.(*Policy)
	}
	p, err := ParsePolicy(doc, resource)
	if err != nil {
		return nil
	}
	d.parsed.Store(doc, p)
	return p
}

// wantsResourceTags reports whether any statement's condition reads a resource tag (looking them up costs a
// read of the stream, which most requests need not pay).
func wantsResourceTags(sources []Source) bool {
	for _, s := range sources {
		for _, st := range s.Policy.Statements {
			for _, c := range st.Conditions {
				if strings.HasPrefix(strings.ToLower(c.Key), "aws:resourcetag/") {
					return true
				}
			}
		}
	}
	return false
}

// Logged is one decision the server made.
type Logged struct {
	Time     time.Time
	Question Question
	Decision Decision
}

// DecisionLog keeps the latest decisions, newest last, for the Access screen.
type DecisionLog struct {
	mu    sync.Mutex
	items []Logged
	next  int
	full  bool
	count uint64
}

// decisionsKept is how many decisions the log holds.
const decisionsKept = 500

// Add records a decision.
func (l *DecisionLog) Add(e Logged) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.items == nil {
		l.items = make([]Logged, decisionsKept)
	}
	l.items[l.next] = e
	l.next = (l.next + 1) % decisionsKept
	l.full = l.full || l.next == 0
	l.count++
}

// Latest returns up to n decisions, newest first, and how many were ever recorded (a change counter).
func (l *DecisionLog) Latest(n int) ([]Logged, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := l.next
	if l.full {
		size = decisionsKept
	}
	n = min(n, size)
	out := make([]Logged, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, l.items[(l.next-i+decisionsKept)%decisionsKept])
	}
	return out, l.count
}
