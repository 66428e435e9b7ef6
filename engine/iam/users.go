package iam

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
)

// User is an IAM user.
type User struct {
	Name     string
	ID       string
	ARN      string
	Created  time.Time
	Policies map[string]string // inline policies by name: the documents as put
	Attached []string          // the ARNs of the managed policies attached
}

// AccessKey is a user's access key.
type AccessKey struct {
	ID      string
	Secret  string
	User    string
	Status  string // Active or Inactive
	Created time.Time
}

func (s *Store) arn(name string) string { return "arn:aws:iam::" + s.account + ":user/" + name }

func noSuchUser(name string) error {
	return &Error{"NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", name), 404}
}

func checkEntityName(field, name string) error {
	if !userName.MatchString(name) {
		return &Error{"ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name, field), 400}
	}
	return nil
}

// CreateUser makes a user.
func (s *Store) CreateUser(ctx context.Context, name string) (User, error) {
	if err := checkEntityName("userName", name); err != nil {
		return User{}, err
	}
	u := User{Name: name, ID: auth.NewUniqueID("AIDA"), ARN: s.arn(name), Created: time.Now().UTC().Truncate(time.Second)}
	err := s.change(ctx, func(st state, w writes) error {
		for existing := range st.users {
			if strings.EqualFold(existing, name) {
				return &Error{"EntityAlreadyExists", fmt.Sprintf("User with name %s already exists.", name), 409}
			}
		}
		w.put(userKeyPrefix+name, u)
		return nil
	})
	return u, err
}

// GetUser returns a user.
func (s *Store) GetUser(name string) (u User, err error) {
	s.read(func(st state) {
		var ok bool
		if u, ok = st.users[name]; !ok {
			err = noSuchUser(name)
		}
	})
	return u, err
}

// Users lists the users by name.
func (s *Store) Users() []User {
	var out []User
	s.read(func(st state) {
		for _, u := range st.users {
			out = append(out, u)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeleteUser removes a user that has no access keys and no policies left, as IAM requires.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.change(ctx, func(st state, w writes) error {
		u, ok := st.users[name]
		if !ok {
			return noSuchUser(name)
		}
		for _, k := range st.keys {
			if k.User == name {
				return &Error{"DeleteConflict", "Cannot delete entity, must delete access keys first.", 409}
			}
		}
		if len(u.Policies) > 0 {
			return &Error{"DeleteConflict", "Cannot delete entity, must delete policies first.", 409}
		}
		if len(u.Attached) > 0 {
			return &Error{"DeleteConflict", "Cannot delete entity, must detach all policies first.", 409}
		}
		w.del(userKeyPrefix + name)
		return nil
	})
}

// CreateAccessKey makes an access key for a user (two at most, as IAM allows).
func (s *Store) CreateAccessKey(ctx context.Context, name string) (AccessKey, error) {
	k := AccessKey{ID: auth.NewAccessKeyID(), Secret: auth.NewSecret(), User: name, Status: "Active",
		Created: time.Now().UTC().Truncate(time.Second)}
	err := s.change(ctx, func(st state, w writes) error {
		if _, ok := st.users[name]; !ok {
			return noSuchUser(name)
		}
		n := 0
		for _, other := range st.keys {
			if other.User == name {
				n++
			}
		}
		if n >= maxKeysPerUser {
			return &Error{"LimitExceeded", fmt.Sprintf("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser), 409}
		}
		w.put(accessKeyPrefix+k.ID, k)
		return nil
	})
	return k, err
}

// AccessKeys lists a user's keys (secrets included: the caller leaves them out of answers).
func (s *Store) AccessKeys(name string) (out []AccessKey, err error) {
	s.read(func(st state) {
		if _, ok := st.users[name]; !ok {
			err = noSuchUser(name)
			return
		}
		for _, k := range st.keys {
			if k.User == name {
				out = append(out, k)
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// DeleteAccessKey removes a user's key.
func (s *Store) DeleteAccessKey(ctx context.Context, name, id string) error {
	return s.change(ctx, func(st state, w writes) error {
		k, ok := st.keys[id]
		if !ok || k.User != name {
			return &Error{"NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", id), 404}
		}
		w.del(accessKeyPrefix + id)
		return nil
	})
}

// PutUserPolicy sets a user's inline policy, refusing a document IAM would refuse.
func (s *Store) PutUserPolicy(ctx context.Context, name, policyName, doc string) error {
	if err := checkDocument(doc, false); err != nil {
		return err
	}
	if err := checkPolicyName(policyName); err != nil {
		return err
	}
	return s.change(ctx, func(st state, w writes) error {
		u, ok := st.users[name]
		if !ok {
			return noSuchUser(name)
		}
		policies, err := withInline(u.Policies, policyName, doc, maxInlinePolicy, "user "+name)
		if err != nil {
			return err
		}
		u.Policies = policies
		w.put(userKeyPrefix+name, u)
		return nil
	})
}

// withInline is an entity's inline policies with one set, refused when they would pass IAM's size quota.
func withInline(current map[string]string, name, doc string, limit int, entity string) (map[string]string, error) {
	policies := map[string]string{name: doc}
	size := policySize(doc)
	for n, d := range current {
		if n != name {
			policies[n] = d
			size += policySize(d)
		}
	}
	if size > limit {
		return nil, &Error{"LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s", limit, entity), 409}
	}
	return policies, nil
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
	return s.change(ctx, func(st state, w writes) error {
		u, ok := st.users[name]
		if !ok {
			return noSuchUser(name)
		}
		if _, ok := u.Policies[policyName]; !ok {
			return &Error{"NoSuchEntity", fmt.Sprintf("The user policy with name %s cannot be found.", policyName), 404}
		}
		delete(u.Policies, policyName)
		w.put(userKeyPrefix+name, u)
		return nil
	})
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Store) AttachUserPolicy(ctx context.Context, name, policyARN string) error {
	return s.change(ctx, func(st state, w writes) error {
		u, ok := st.users[name]
		if !ok {
			return noSuchUser(name)
		}
		attached, err := s.attach(st, u.Attached, policyARN)
		if err != nil {
			return err
		}
		u.Attached = attached
		w.put(userKeyPrefix+name, u)
		return nil
	})
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Store) DetachUserPolicy(ctx context.Context, name, policyARN string) error {
	return s.change(ctx, func(st state, w writes) error {
		u, ok := st.users[name]
		if !ok {
			return noSuchUser(name)
		}
		attached, err := detach(u.Attached, policyARN)
		if err != nil {
			return err
		}
		u.Attached = attached
		w.put(userKeyPrefix+name, u)
		return nil
	})
}
