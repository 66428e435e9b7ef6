package iam

import (
	"context"
	"crypto/md5" // a stable id for a built-in policy, not a secret
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
)

// ManagedPolicy is a customer managed policy (one version: v1, the default, as CreatePolicy makes it).
type ManagedPolicy struct {
	Name        string
	ID          string
	ARN         string
	Path        string
	Description string
	Document    string
	Created     time.Time
	// AWS marks an AWS managed policy (arn:aws:iam::aws:policy/…), built in and read-only.
	AWS bool
}

// DefaultVersion is the only version a policy has here.
const DefaultVersion = "v1"

// awsManaged are the AWS managed policies people attach when they try Kinesis, with the documents AWS publishes.
var awsManaged = func() map[string]ManagedPolicy {
	docs := map[string]string{
		"AdministratorAccess":                     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"AmazonKinesisFullAccess":                 `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}`,
		"AmazonKinesisReadOnlyAccess":             `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kinesis:Get*","kinesis:List*","kinesis:Describe*","kinesis:SubscribeToShard"],"Resource":"*"}]}`,
		"AmazonKinesisFirehoseFullAccess":         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"firehose:*","Resource":"*"}]}`,
		"AmazonKinesisVideoStreamsFullAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesisvideo:*","Resource":"*"}]}`,
		"AmazonKinesisVideoStreamsReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kinesisvideo:Describe*","kinesisvideo:Get*","kinesisvideo:List*"],"Resource":"*"}]}`,
	}
	out := map[string]ManagedPolicy{}
	for name, doc := range docs {
		arn := "arn:aws:iam::aws:policy/" + name
		out[arn] = ManagedPolicy{Name: name, ID: "ANPA" + fmt.Sprintf("%X", md5.Sum([]byte(name)))[:17], ARN: arn,
			Path: "/", Document: doc, AWS: true, Created: time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC)}
	}
	return out
}()

func (s *Store) policyARN(path, name string) string {
	return "arn:aws:iam::" + s.account + ":policy" + path + name
}

func noSuchPolicy(arn string) error {
	return &Error{"NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn), 404}
}

// CreatePolicy makes a customer managed policy.
func (s *Store) CreatePolicy(ctx context.Context, name, path, description, doc string) (ManagedPolicy, error) {
	if path == "" {
		path = "/"
	}
	if err := checkPolicyName(name); err != nil {
		return ManagedPolicy{}, err
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return ManagedPolicy{}, &Error{"ValidationError", "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.", 400}
	}
	if err := checkDocument(doc, false); err != nil {
		return ManagedPolicy{}, err
	}
	if policySize(doc) > maxManagedPolicy {
		return ManagedPolicy{}, &Error{"LimitExceeded", fmt.Sprintf("Cannot exceed quota for PolicySize: %d", maxManagedPolicy), 409}
	}
	now := time.Now().UTC().Truncate(time.Second)
	p := ManagedPolicy{Name: name, ID: auth.NewUniqueID("ANPA"), ARN: s.policyARN(path, name), Path: path,
		Description: description, Document: doc, Created: now}
	err := s.change(ctx, func(st state, w writes) error {
		for existing := range st.policies {
			if strings.EqualFold(existing, name) {
				return &Error{"EntityAlreadyExists", fmt.Sprintf("A policy called %s already exists. Duplicate names are not allowed.", name), 409}
			}
		}
		w.put(policyKeyPrefix+name, p)
		return nil
	})
	return p, err
}

// findPolicy is the managed policy of arn: the account's own or an AWS managed one.
func findPolicy(st state, arn string) (ManagedPolicy, bool) {
	if p, ok := awsManaged[arn]; ok {
		return p, true
	}
	for _, p := range st.policies {
		if p.ARN == arn {
			return p, true
		}
	}
	return ManagedPolicy{}, false
}

// GetPolicy returns a managed policy with the number of users and roles it is attached to.
func (s *Store) GetPolicy(arn string) (p ManagedPolicy, attachments int, err error) {
	s.read(func(st state) {
		var ok bool
		if p, ok = findPolicy(st, arn); !ok {
			err = &Error{"NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn), 404}
			return
		}
		attachments = attachmentCount(st, arn)
	})
	return p, attachments, err
}

func attachmentCount(st state, arn string) int {
	n := 0
	for _, u := range st.users {
		if slices.Contains(u.Attached, arn) {
			n++
		}
	}
	for _, r := range st.roles {
		if slices.Contains(r.Attached, arn) {
			n++
		}
	}
	return n
}

// Policies lists the account's managed policies (scope Local), AWS's (AWS), or both (All), by name.
func (s *Store) Policies(scope string) []ManagedPolicy {
	var out []ManagedPolicy
	s.read(func(st state) {
		if scope != "AWS" {
			for _, p := range st.policies {
				out = append(out, p)
			}
		}
		if scope != "Local" {
			for _, p := range awsManaged {
				out = append(out, p)
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeletePolicy removes a customer managed policy that nothing is attached to.
func (s *Store) DeletePolicy(ctx context.Context, arn string) error {
	return s.change(ctx, func(st state, w writes) error {
		p, ok := findPolicy(st, arn)
		switch {
		case !ok:
			return &Error{"NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn), 404}
		case p.AWS:
			return &Error{"AccessDenied", "An AWS managed policy cannot be deleted.", 403}
		case attachmentCount(st, arn) > 0:
			return &Error{"DeleteConflict", "Cannot delete a policy attached to entities.", 409}
		}
		w.del(policyKeyPrefix + p.Name)
		return nil
	})
}

// attach adds a policy to an entity's attached list (attaching twice changes nothing, as in IAM).
func (s *Store) attach(st state, attached []string, arn string) ([]string, error) {
	if _, ok := findPolicy(st, arn); !ok {
		return nil, noSuchPolicy(arn)
	}
	if slices.Contains(attached, arn) {
		return attached, nil
	}
	if len(attached) >= maxAttachedPolicies {
		return nil, &Error{"LimitExceeded", fmt.Sprintf("Cannot exceed quota for PoliciesPerUser: %d", maxAttachedPolicies), 409}
	}
	return append(slices.Clone(attached), arn), nil
}

func detach(attached []string, arn string) ([]string, error) {
	i := slices.Index(attached, arn)
	if i < 0 {
		return nil, &Error{"NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn), 404}
	}
	return slices.Delete(slices.Clone(attached), i, i+1), nil
}

// AttachedPolicies are the managed policies of arns, as found (one since deleted is left out).
func (s *Store) AttachedPolicies(arns []string) []ManagedPolicy {
	var out []ManagedPolicy
	s.read(func(st state) {
		for _, a := range arns {
			if p, ok := findPolicy(st, a); ok {
				out = append(out, p)
			}
		}
	})
	return out
}
