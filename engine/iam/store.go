package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
)

// User is an IAM user.
type User struct {
	Name     string
	ID       string
	ARN      string
	Created  time.Time
	Policies map[string]string // inline policies by name: the documents as put
}

// AccessKey is a user's access key.
type AccessKey struct {
	ID      string
	Secret  string
	User    string
	Status  string // Active or Inactive
	Created time.Time
}

// Error is an IAM API error: a code as IAM sends it (NoSuchEntity, EntityAlreadyExists, MalformedPolicyDocument,
// ValidationError, LimitExceeded) and its message.
type Error struct {
	Code, Message string
	Status        int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Limits IAM applies that matter here.
const (
	maxKeysPerUser   = 2
	maxInlinePolicy  = 2048 // characters of one user's inline policies, as IAM counts them (without whitespace)
	userNamePattern  = `^[\w+=,.@-]{1,64}$`
	namespacePrefix  = "iam@"
	userKeyPrefix    = "user/"
	accessKeyPrefix  = "key/"
	policyNameLength = 128
)

var userName = regexp.MustCompile(userNamePattern)

// Store keeps one account's users, access keys and inline policies in the engine's database (committed before
// a call returns), with a copy in memory for the signature check's lookups.
type Store struct {
	eng     *engine.Engine
	account string

	mu    sync.RWMutex
	users map[string]User
	keys  map[string]AccessKey
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

// decode reads the stored entities.
func decode(cur map[string][]byte) (map[string]User, map[string]AccessKey) {
	users, keys := map[string]User{}, map[string]AccessKey{}
	for k, v := range cur {
		switch {
		case strings.HasPrefix(k, userKeyPrefix):
			var u User
			if json.Unmarshal(v, &u) == nil {
				users[u.Name] = u
			}
		case strings.HasPrefix(k, accessKeyPrefix):
			var a AccessKey
			if json.Unmarshal(v, &a) == nil {
				keys[a.ID] = a
			}
		}
	}
	return users, keys
}

func (s *Store) load(cur map[string][]byte) {
	users, keys := decode(cur)
	s.mu.Lock()
	s.users, s.keys = users, keys
	s.mu.Unlock()
}

// change runs fn over the stored entities in one transaction and reloads the copy in memory.
func (s *Store) change(ctx context.Context, fn func(users map[string]User, keys map[string]AccessKey, put func(string, any), del func(string)) error) error {
	var after map[string][]byte
	err := s.eng.UpdateCheckpoints(ctx, s.namespace(), func(cur map[string][]byte) (map[string][]byte, error) {
		writes := map[string][]byte{}
		users, keys := decode(cur)
		put := func(k string, v any) { b, _ := json.Marshal(v); writes[k] = b }
		del := func(k string) { writes[k] = nil }
		if err := fn(users, keys, put, del); err != nil {
			return nil, err
		}
		after = map[string][]byte{}
		for k, v := range cur {
			after[k] = v
		}
		for k, v := range writes {
			if v == nil {
				delete(after, k)
			} else {
				after[k] = v
			}
		}
		return writes, nil
	})
	if err != nil {
		return err
	}
	s.load(after)
	return nil
}

func (s *Store) arn(name string) string { return "arn:aws:iam::" + s.account + ":user/" + name }

func noSuchUser(name string) error {
	return &Error{"NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", name), 404}
}

// CreateUser makes a user.
func (s *Store) CreateUser(ctx context.Context, name string) (User, error) {
	if !userName.MatchString(name) {
		return User{}, &Error{"ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name), 400}
	}
	u := User{Name: name, ID: auth.NewUniqueID("AIDA"), ARN: s.arn(name), Created: time.Now().UTC().Truncate(time.Second)}
	err := s.change(ctx, func(users map[string]User, _ map[string]AccessKey, put func(string, any), _ func(string)) error {
		for existing := range users {
			if strings.EqualFold(existing, name) {
				return &Error{"EntityAlreadyExists", fmt.Sprintf("User with name %s already exists.", name), 409}
			}
		}
		put(userKeyPrefix+name, u)
		return nil
	})
	return u, err
}

// GetUser returns a user.
func (s *Store) GetUser(name string) (User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[name]
	if !ok {
		return User{}, noSuchUser(name)
	}
	return u, nil
}

// Users lists the users by name.
func (s *Store) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeleteUser removes a user that has no access keys and no inline policies left, as IAM requires.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.change(ctx, func(users map[string]User, keys map[string]AccessKey, _ func(string, any), del func(string)) error {
		u, ok := users[name]
		if !ok {
			return noSuchUser(name)
		}
		for _, k := range keys {
			if k.User == name {
				return &Error{"DeleteConflict", "Cannot delete entity, must delete access keys first.", 409}
			}
		}
		if len(u.Policies) > 0 {
			return &Error{"DeleteConflict", "Cannot delete entity, must delete policies first.", 409}
		}
		del(userKeyPrefix + name)
		return nil
	})
}

// CreateAccessKey makes an access key for a user (two at most, as IAM allows).
func (s *Store) CreateAccessKey(ctx context.Context, name string) (AccessKey, error) {
	k := AccessKey{ID: auth.NewAccessKeyID(), Secret: auth.NewSecret(), User: name, Status: "Active",
		Created: time.Now().UTC().Truncate(time.Second)}
	err := s.change(ctx, func(users map[string]User, keys map[string]AccessKey, put func(string, any), _ func(string)) error {
		if _, ok := users[name]; !ok {
			return noSuchUser(name)
		}
		n := 0
		for _, other := range keys {
			if other.User == name {
				n++
			}
		}
		if n >= maxKeysPerUser {
			return &Error{"LimitExceeded", fmt.Sprintf("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser), 409}
		}
		put(accessKeyPrefix+k.ID, k)
		return nil
	})
	return k, err
}

// AccessKeys lists a user's keys (secrets included: the caller leaves them out of answers).
func (s *Store) AccessKeys(name string) ([]AccessKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.users[name]; !ok {
		return nil, noSuchUser(name)
	}
	var out []AccessKey
	for _, k := range s.keys {
		if k.User == name {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// DeleteAccessKey removes a user's key.
func (s *Store) DeleteAccessKey(ctx context.Context, name, id string) error {
	return s.change(ctx, func(_ map[string]User, keys map[string]AccessKey, _ func(string, any), del func(string)) error {
		k, ok := keys[id]
		if !ok || k.User != name {
			return &Error{"NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", id), 404}
		}
		del(accessKeyPrefix + id)
		return nil
	})
}

// PutUserPolicy sets a user's inline policy, refusing a document IAM would refuse.
func (s *Store) PutUserPolicy(ctx context.Context, name, policyName, doc string) error {
	if _, err := ParsePolicy(doc, false); err != nil {
		return &Error{"MalformedPolicyDocument", strings.TrimPrefix(err.Error(), "MalformedPolicyDocument: "), 400}
	}
	if policyName == "" || len(policyName) > policyNameLength {
		return &Error{"ValidationError", "PolicyName must be 1 to 128 characters.", 400}
	}
	return s.change(ctx, func(users map[string]User, _ map[string]AccessKey, put func(string, any), _ func(string)) error {
		u, ok := users[name]
		if !ok {
			return noSuchUser(name)
		}
		policies := map[string]string{policyName: doc}
		size := len(strings.Join(strings.Fields(doc), ""))
		for n, d := range u.Policies {
			if n != policyName {
				policies[n] = d
				size += len(strings.Join(strings.Fields(d), ""))
			}
		}
		if size > maxInlinePolicy {
			return &Error{"LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for user %s", maxInlinePolicy, name), 409}
		}
		u.Policies = policies
		put(userKeyPrefix+name, u)
		return nil
	})
}

// UserPolicy returns an inline policy's document.
func (s *Store) UserPolicy(name, policyName string) (string, error) {
	u, err := s.GetUser(name)
	if err != nil {
		return "", err
	}
	doc, ok := u.Policies[policyName]
	if !ok {
		return "", &Error{"NoSuchEntity", fmt.Sprintf("The user policy with name %s cannot be found.", policyName), 404}
	}
	return doc, nil
}

// DeleteUserPolicy removes an inline policy.
func (s *Store) DeleteUserPolicy(ctx context.Context, name, policyName string) error {
	return s.change(ctx, func(users map[string]User, _ map[string]AccessKey, put func(string, any), _ func(string)) error {
		u, ok := users[name]
		if !ok {
			return noSuchUser(name)
		}
		if _, ok := u.Policies[policyName]; !ok {
			return &Error{"NoSuchEntity", fmt.Sprintf("The user policy with name %s cannot be found.", policyName), 404}
		}
		delete(u.Policies, policyName)
		put(userKeyPrefix+name, u)
		return nil
	})
}

// Lookup implements auth.Keys: an active access key of one of the account's users.
func (s *Store) Lookup(id string) (auth.Key, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[id]
	if !ok || k.Status != "Active" {
		return auth.Key{}, false
	}
	u := s.users[k.User]
	return auth.Key{Identity: auth.Identity{AccessKeyID: id, Account: s.account, ARN: u.ARN}, Secret: k.Secret}, true
}

// IdentityPolicies are the policies of the principal arn (a user's inline policies), as evaluation sources.
func (s *Store) IdentityPolicies(arn string) []Source {
	name, ok := strings.CutPrefix(arn, "arn:aws:iam::"+s.account+":user/")
	if !ok {
		return nil
	}
	u, err := s.GetUser(name)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(u.Policies))
	for n := range u.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Source
	for _, n := range names {
		if p, err := ParsePolicy(u.Policies[n], false); err == nil {
			out = append(out, Source{Name: "inline policy " + n + " of user " + name, Policy: p})
		}
	}
	return out
}

// AccountID is the account the store keeps.
func (s *Store) AccountID() string { return s.account }
