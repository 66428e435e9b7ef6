package iam

import "fmt"

// Request is one authorization question: may principal perform action on resource?
type Request struct {
	Principal string // arn:aws:iam::<account>:user/<name>, …:root, or an assumed role's session ARN
	Account   string // the principal's account
	Root      bool   // the account's root credentials: allowed everything in the account unless a policy denies
	Action    string // e.g. kinesis:PutRecord
	Resource  string // e.g. arn:aws:kinesis:us-east-1:000000000000:stream/orders
	// Role is an assumed role's ARN when Principal is its session (a policy may name either).
	Role string
	// Context holds the condition keys (aws:SourceIp, aws:SecureTransport…) and policy variables.
	Context Context
}

// Source is a policy that takes part in a decision, with the name the decision reports it by.
type Source struct {
	Name     string // "inline policy put-only of user alice", "resource policy of stream/orders"
	Policy   *Policy
	Resource bool // a resource-based policy (its statements name principals)
}

// Decision is what IAM decided, and why.
type Decision struct {
	Allowed  bool
	Explicit bool   // an explicit Deny decided
	By       string // the source whose statement decided; empty for an implicit deny or root's own access
	Sid      string
	Index    int // the deciding statement's place in its policy, from 0
	// Statement is the deciding statement as IAM reads it, for an explanation.
	Statement *Statement
	// Message is AWS's AccessDeniedException text for a denial.
	Message string
}

// Evaluate applies IAM's logic: any applicable Deny denies; otherwise an applicable Allow from an identity policy or
// from a resource policy naming the principal allows (and the root of the resource's own account is allowed);
// otherwise the request is implicitly denied. A resource policy that names only the account grants nothing by
// itself: it leaves the decision to the identity policies.
func Evaluate(req Request, sources []Source) Decision {
	var allow *Decision
	for _, src := range sources {
		for i := range src.Policy.Statements {
			st := &src.Policy.Statements[i]
			ok, accountOnly := st.applies(req)
			if !ok || (accountOnly && st.Effect == "Allow") {
				continue
			}
			d := Decision{By: src.Name, Sid: st.Sid, Index: st.Index, Statement: st}
			if st.Effect == "Deny" {
				kind := "an identity-based policy"
				if src.Resource {
					kind = "a resource-based policy"
				}
				d.Explicit = true
				d.Message = fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in %s",
					req.Principal, req.Action, req.Resource, kind)
				return d
			}
			if allow == nil {
				d.Allowed = true
				allow = &d
			}
		}
	}
	if allow != nil {
		return *allow
	}
	if req.Root {
		return Decision{Allowed: true}
	}
	return Decision{Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		req.Principal, req.Action, req.Resource, req.Action)}
}
