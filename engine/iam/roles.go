package iam

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
)

// Role is an IAM role: whom it trusts (the AssumeRole policy) and what its sessions may do.
type Role struct {
	Name               string
	ID                 string
	ARN                string
	Path               string
	Description        string
	TrustPolicy        string
	MaxSessionDuration int // seconds, 3600–43200
	Created            time.Time
	Policies           map[string]string // inline policies by name
	Attached           []string          // managed policy ARNs
}

// Session is a role's temporary credentials, as STS AssumeRole issues them.
type Session struct {
	AccessKeyID  string
	Secret       string
	SessionToken string
	Expires      time.Time
	Role         string // the role's name
	RoleARN      string
	RoleID       string
	Name         string // RoleSessionName
	ARN          string // arn:aws:sts::<account>:assumed-role/<role>/<session>
	Caller       string // who assumed it
}

// STS limits on AssumeRole.
const (
	minSessionSeconds     = 900
	defaultSessionSeconds = 3600
	maxRoleSessionSeconds = 43200
	// expiredSessionsKept is how long an expired session's key is still recognised, so its use is answered with
	// ExpiredTokenException rather than an unknown key.
	expiredSessionsKept = 12 * time.Hour
)

var sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func noSuchRole(name string) error {
	return &Error{"NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", name), 404}
}

// CreateRole makes a role whose trust policy says who may assume it.
func (s *Store) CreateRole(ctx context.Context, name, path, description, trust string, maxSession int) (Role, error) {
	if path == "" {
		path = "/"
	}
	if maxSession == 0 {
		maxSession = defaultSessionSeconds
	}
	if err := checkEntityName("roleName", name); err != nil {
		return Role{}, err
	}
	if maxSession < defaultSessionSeconds || maxSession > maxRoleSessionSeconds {
		return Role{}, &Error{"ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between %d and %d", maxSession, defaultSessionSeconds, maxRoleSessionSeconds), 400}
	}
	if err := checkDocument(trust, true); err != nil {
		return Role{}, err
	}
	r := Role{Name: name, ID: auth.NewUniqueID("AROA"), ARN: "arn:aws:iam::" + s.account + ":role" + path + name, Path: path,
		Description: description, TrustPolicy: trust, MaxSessionDuration: maxSession, Created: time.Now().UTC().Truncate(time.Second)}
	err := s.change(ctx, func(st state, w writes) error {
		for existing := range st.roles {
			if strings.EqualFold(existing, name) {
				return &Error{"EntityAlreadyExists", fmt.Sprintf("Role with name %s already exists.", name), 409}
			}
		}
		w.put(roleKeyPrefix+name, r)
		return nil
	})
	return r, err
}

// GetRole returns a role.
func (s *Store) GetRole(name string) (r Role, err error) {
	s.read(func(st state) {
		var ok bool
		if r, ok = st.roles[name]; !ok {
			err = noSuchRole(name)
		}
	})
	return r, err
}

// Roles lists the roles by name.
func (s *Store) Roles() []Role {
	var out []Role
	s.read(func(st state) {
		for _, r := range st.roles {
			out = append(out, r)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeleteRole removes a role without policies; its sessions end with it.
func (s *Store) DeleteRole(ctx context.Context, name string) error {
	return s.change(ctx, func(st state, w writes) error {
		r, ok := st.roles[name]
		switch {
		case !ok:
			return noSuchRole(name)
		case len(r.Policies) > 0:
			return &Error{"DeleteConflict", "Cannot delete entity, must delete policies first.", 409}
		case len(r.Attached) > 0:
			return &Error{"DeleteConflict", "Cannot delete entity, must detach all policies first.", 409}
		}
		w.del(roleKeyPrefix + name)
		for id, c := range st.sessions {
			if c.Role == name {
				w.del(sessionKeyPrefix + id)
			}
		}
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Store) UpdateAssumeRolePolicy(ctx context.Context, name, trust string) error {
	if err := checkDocument(trust, true); err != nil {
		return err
	}
	return s.changeRole(ctx, name, func(st state, r *Role) error { r.TrustPolicy = trust; return nil })
}

// changeRole runs fn on a role and stores it.
func (s *Store) changeRole(ctx context.Context, name string, fn func(st state, r *Role) error) error {
	return s.change(ctx, func(st state, w writes) error {
		r, ok := st.roles[name]
		if !ok {
			return noSuchRole(name)
		}
		if err := fn(st, &r); err != nil {
			return err
		}
		w.put(roleKeyPrefix+name, r)
		return nil
	})
}

// PutRolePolicy sets a role's inline policy.
func (s *Store) PutRolePolicy(ctx context.Context, name, policyName, doc string) error {
	if err := checkDocument(doc, false); err != nil {
		return err
	}
	if err := checkPolicyName(policyName); err != nil {
		return err
	}
	return s.changeRole(ctx, name, func(_ state, r *Role) error {
		policies, err := withInline(r.Policies, policyName, doc, maxRoleInline, "role "+name)
		r.Policies = policies
		return err
	})
}

// RolePolicy returns a role's inline policy.
func (s *Store) RolePolicy(name, policyName string) (string, error) {
	r, err := s.GetRole(name)
	if err != nil {
		return "", err
	}
	doc, ok := r.Policies[policyName]
	if !ok {
		return "", &Error{"NoSuchEntity", fmt.Sprintf("The role policy with name %s cannot be found.", policyName), 404}
	}
	return doc, nil
}

// DeleteRolePolicy removes a role's inline policy.
func (s *Store) DeleteRolePolicy(ctx context.Context, name, policyName string) error {
	return s.changeRole(ctx, name, func(_ state, r *Role) error {
		if _, ok := r.Policies[policyName]; !ok {
			return &Error{"NoSuchEntity", fmt.Sprintf("The role policy with name %s cannot be found.", policyName), 404}
		}
		delete(r.Policies, policyName)
		return nil
	})
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Store) AttachRolePolicy(ctx context.Context, name, policyARN string) error {
	return s.changeRole(ctx, name, func(st state, r *Role) error {
		attached, err := s.attach(st, r.Attached, policyARN)
		r.Attached = attached
		return err
	})
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Store) DetachRolePolicy(ctx context.Context, name, policyARN string) error {
	return s.changeRole(ctx, name, func(_ state, r *Role) error {
		attached, err := detach(r.Attached, policyARN)
		r.Attached = attached
		return err
	})
}

// AssumeRole issues temporary credentials for roleARN to caller, when the role's trust policy lets the caller
// assume it (and, for a trust policy that names only the account, the caller's own policies allow
// sts:AssumeRole), as STS decides. duration 0 is an hour.
func (s *Store) AssumeRole(ctx context.Context, caller Request, roleARN, name string, duration int, now time.Time) (Session, Decision, error) {
	if duration == 0 {
		duration = defaultSessionSeconds
	}
	if !sessionName.MatchString(name) {
		return Session{}, Decision{}, &Error{"ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name), 400}
	}
	if duration < minSessionSeconds {
		return Session{}, Decision{}, &Error{"ValidationError", fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", duration, minSessionSeconds), 400}
	}
	if caller.Root {
		return Session{}, Decision{Message: "Roles may not be assumed by root accounts."}, &Error{"AccessDenied", "Roles may not be assumed by root accounts.", 403}
	}
	var role Role
	found := false
	s.read(func(st state) {
		for _, r := range st.roles {
			if r.ARN == roleARN {
				role, found = r, true
			}
		}
	})
	caller.Action, caller.Resource = "sts:AssumeRole", roleARN
	denied := func() Decision {
		return Decision{Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.Principal, roleARN)}
	}
	if !found {
		d := denied()
		return Session{}, d, &Error{"AccessDenied", d.Message, 403}
	}
	trust, err := ParseTrustPolicy(role.TrustPolicy)
	if err != nil {
		d := denied()
		return Session{}, d, &Error{"AccessDenied", d.Message, 403}
	}
	sources := append(s.IdentityPolicies(caller.Principal), Source{Name: "trust policy of role " + role.Name, Policy: trust, Resource: true})
	d := Evaluate(caller, sources)
	if !d.Allowed {
		if !d.Explicit {
			d = denied()
		}
		return Session{}, d, &Error{"AccessDenied", d.Message, 403}
	}
	if duration > role.MaxSessionDuration {
		return Session{}, d, &Error{"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400}
	}
	c := Session{AccessKeyID: "ASIA" + auth.NewAccessKeyID()[4:], Secret: auth.NewSecret(), SessionToken: newSessionToken(),
		Expires: now.Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second), Role: role.Name, RoleARN: role.ARN,
		RoleID: role.ID, Name: name, ARN: "arn:aws:sts::" + s.account + ":assumed-role/" + role.Name + "/" + name, Caller: caller.Principal}
	err = s.change(ctx, func(st state, w writes) error {
		for id, old := range st.sessions {
			if now.Sub(old.Expires) > expiredSessionsKept {
				w.del(sessionKeyPrefix + id)
			}
		}
		w.put(sessionKeyPrefix+c.AccessKeyID, c)
		return nil
	})
	return c, d, err
}

// newSessionToken is an opaque session token, random, about as long as the ones STS hands out.
func newSessionToken() string {
	return auth.NewSecret() + auth.NewSecret() + auth.NewSecret() + auth.NewSecret()
}

// Sessions lists the sessions not yet expired, newest first.
func (s *Store) Sessions(now time.Time) []Session {
	var out []Session
	s.read(func(st state) {
		for _, c := range st.sessions {
			if now.Before(c.Expires) {
				out = append(out, c)
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}
