package iam

import (
	"sort"
	"strings"

	"github.com/shardlab/shardlab/engine/auth"
)

// Lookup implements auth.Keys: an active access key of one of the account's users, or an STS session's
// temporary key (with its token and expiry, which the signature check enforces).
func (s *Store) Lookup(id string) (key auth.Key, ok bool) {
	s.read(func(st state) {
		if k, found := st.keys[id]; found && k.Status == "Active" {
			u := st.users[k.User]
			key = auth.Key{Identity: auth.Identity{AccessKeyID: id, Account: s.account, ARN: u.ARN}, Secret: k.Secret}
			ok = true
			return
		}
		if c, found := st.sessions[id]; found {
			if _, roleLeft := st.roles[c.Role]; roleLeft {
				key = auth.Key{Identity: auth.Identity{AccessKeyID: id, Account: s.account, ARN: c.ARN}, Secret: c.Secret,
					SessionToken: c.SessionToken, Expires: c.Expires}
				ok = true
			}
		}
	})
	return key, ok
}

// Principal is who an ARN is, for evaluation: the role behind an assumed-role session, and its user id.
type Principal struct {
	ARN    string
	Role   string // the role ARN of an assumed-role session
	UserID string // IAM's unique id (AIDA… for a user, AROA…:session for a session, the account for root)
	Name   string // the user name (aws:username), empty for roles and root
	Type   string // aws:PrincipalType: Account, User or AssumedRole
}

// Resolve says who arn is.
func (s *Store) Resolve(arn string) Principal {
	p := Principal{ARN: arn}
	prefix := "arn:aws:iam::" + s.account + ":"
	switch {
	case arn == prefix+"root":
		p.Type, p.UserID = "Account", s.account
	case strings.HasPrefix(arn, prefix+"user/"):
		p.Type, p.Name = "User", strings.TrimPrefix(arn, prefix+"user/")
		if u, err := s.GetUser(p.Name); err == nil {
			p.UserID = u.ID
		}
	case strings.HasPrefix(arn, "arn:aws:sts::"+s.account+":assumed-role/"):
		p.Type = "AssumedRole"
		role, session, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:sts::"+s.account+":assumed-role/"), "/")
		if r, err := s.GetRole(role); err == nil {
			p.Role, p.UserID = r.ARN, r.ID+":"+session
		}
	}
	return p
}

// IdentityPolicies are the policies of the principal arn as evaluation sources: a user's inline and attached
// policies, or an assumed role session's role's.
func (s *Store) IdentityPolicies(arn string) []Source {
	p := s.Resolve(arn)
	var inline map[string]string
	var attached []string
	var owner string
	switch p.Type {
	case "User":
		u, err := s.GetUser(p.Name)
		if err != nil {
			return nil
		}
		inline, attached, owner = u.Policies, u.Attached, "user "+u.Name
	case "AssumedRole":
		name := p.Role[strings.LastIndex(p.Role, "/")+1:]
		r, err := s.GetRole(name)
		if err != nil {
			return nil
		}
		inline, attached, owner = r.Policies, r.Attached, "role "+r.Name
	default:
		return nil
	}
	names := make([]string, 0, len(inline))
	for n := range inline {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Source
	for _, n := range names {
		if pol := s.parse(inline[n]); pol != nil {
			out = append(out, Source{Name: "inline policy " + n + " of " + owner, Policy: pol})
		}
	}
	for _, m := range s.AttachedPolicies(attached) {
		if pol := s.parse(m.Document); pol != nil {
			out = append(out, Source{Name: "managed policy " + m.Name + " attached to " + owner, Policy: pol})
		}
	}
	return out
}

// parse reads an identity policy stored earlier (so known good), once per document: every signed request asks
// for its caller's policies.
func (s *Store) parse(doc string) *Policy {
	if p, ok := s.parsed.Load(doc); ok {
		return p.(*Policy)
	}
	p, err := ParsePolicy(doc, false)
	if err != nil {
		return nil
	}
	s.parsed.Store(doc, p)
	return p
}
