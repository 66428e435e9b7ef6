package iam

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"

	"github.com/shardlab/shardlab/engine"
)

// Error is an IAM API error: a code as IAM sends it (NoSuchEntity, EntityAlreadyExists, MalformedPolicyDocument,
// ValidationError, LimitExceeded, DeleteConflict, AccessDenied) and its message.
type Error struct {
	Code, Message string
	Status        int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Limits IAM applies that matter here, and where each entity is kept.
const (
	maxKeysPerUser      = 2
	maxInlinePolicy     = 2048  // characters of one user's inline policies, as IAM counts them (without whitespace)
	maxRoleInline       = 10240 // characters of one role's inline policies
	maxManagedPolicy    = 6144  // characters of a managed policy document
	maxAttachedPolicies = 10    // managed policies attached to one user or role (IAM's default quota)
	userNamePattern     = `^[\w+=,.@-]{1,64}$`
	namespacePrefix     = "iam@"
	userKeyPrefix       = "user/"
	accessKeyPrefix     = "key/"
	policyKeyPrefix     = "policy/"
	roleKeyPrefix       = "role/"
	sessionKeyPrefix    = "session/"
	policyNameLength    = 128
)

var userName = regexp.MustCompile(userNamePattern)

// state is every IAM entity of the account, as stored.
type state struct {
	users    map[string]User
	keys     map[string]AccessKey
	policies map[string]ManagedPolicy // by name
	roles    map[string]Role
	sessions map[string]Session // by access key id
}

// Store keeps one account's users, access keys, managed policies, roles and STS sessions in the engine's database
// (committed before a call returns), with a copy in memory for the signature check's lookups.
type Store struct {
	eng     *engine.Engine
	account string

	mu      sync.RWMutex
	st      state
	version uint64 // counts changes, so a screen refreshes only when something changed

	parsed sync.Map // policy document → *Policy
}

// OpenStore loads account's IAM entities.
func OpenStore(ctx context.Context, eng *engine.Engine, account string) (*Store, error) {
	s := &Store{eng: eng, account: account}
	cur, err := eng.Checkpoints(ctx, s.namespace())
	if err != nil {
		return nil, err
	}
	s.load(cur)
	return s, nil
}

func (s *Store) namespace() string { return namespacePrefix + s.account }

// decode reads the stored entities; one that does not decode (written by a later version) is left out.
func decode(cur map[string][]byte) state {
	st := state{users: map[string]User{}, keys: map[string]AccessKey{}, policies: map[string]ManagedPolicy{},
		roles: map[string]Role{}, sessions: map[string]Session{}}
	for k, v := range cur {
		switch {
		case strings.HasPrefix(k, userKeyPrefix):
			var u User
			if json.Unmarshal(v, &u) == nil {
				st.users[u.Name] = u
			}
		case strings.HasPrefix(k, accessKeyPrefix):
			var a AccessKey
			if json.Unmarshal(v, &a) == nil {
				st.keys[a.ID] = a
			}
		case strings.HasPrefix(k, policyKeyPrefix):
			var p ManagedPolicy
			if json.Unmarshal(v, &p) == nil {
				st.policies[p.Name] = p
			}
		case strings.HasPrefix(k, roleKeyPrefix):
			var r Role
			if json.Unmarshal(v, &r) == nil {
				st.roles[r.Name] = r
			}
		case strings.HasPrefix(k, sessionKeyPrefix):
			var c Session
			if json.Unmarshal(v, &c) == nil {
				st.sessions[c.AccessKeyID] = c
			}
		}
	}
	return st
}

func (s *Store) load(cur map[string][]byte) {
	st := decode(cur)
	s.mu.Lock()
	s.st = st
	s.version++
	s.mu.Unlock()
}

// Version counts the changes made so far (it grows with each one).
func (s *Store) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// writes collects one change's puts and deletes.
type writes map[string][]byte

func (w writes) put(k string, v any) { b, _ := json.Marshal(v); w[k] = b }
func (w writes) del(k string)        { w[k] = nil }

// change runs fn over the stored entities in one transaction and reloads the copy in memory.
func (s *Store) change(ctx context.Context, fn func(st state, w writes) error) error {
	var after map[string][]byte
	err := s.eng.UpdateCheckpoints(ctx, s.namespace(), func(cur map[string][]byte) (map[string][]byte, error) {
		w := writes{}
		if err := fn(decode(cur), w); err != nil {
			return nil, err
		}
		after = map[string][]byte{}
		for k, v := range cur {
			after[k] = v
		}
		for k, v := range w {
			if v == nil {
				delete(after, k)
			} else {
				after[k] = v
			}
		}
		return w, nil
	})
	if err != nil {
		return err
	}
	s.load(after)
	return nil
}

// read runs fn over the entities in memory.
func (s *Store) read(fn func(st state)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.st)
}

// AccountID is the account the store keeps.
func (s *Store) AccountID() string { return s.account }

// policySize is a document's size as IAM counts it: without whitespace.
func policySize(doc string) int { return len(strings.Join(strings.Fields(doc), "")) }

// checkDocument refuses an identity policy IAM would refuse, with MalformedPolicyDocument and where; a trust
// policy when trust is set.
func checkDocument(doc string, trust bool) error {
	parse := func(doc string) (*Policy, error) { return ParsePolicy(doc, false) }
	if trust {
		parse = ParseTrustPolicy
	}
	if _, err := parse(doc); err != nil {
		return &Error{"MalformedPolicyDocument", strings.TrimPrefix(err.Error(), "MalformedPolicyDocument: "), 400}
	}
	return nil
}

func checkPolicyName(name string) error {
	if name == "" || len(name) > policyNameLength || !userName.MatchString(name[:min(len(name), 64)]) {
		return &Error{"ValidationError", "PolicyName must be 1 to 128 characters of letters, digits and +=,.@_-.", 400}
	}
	return nil
}
