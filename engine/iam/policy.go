// Package iam is Shardlab's stand-in for AWS Identity and Access Management: IAM policy documents, parsed with
// their problems at line and column, and evaluated with IAM's logic — an explicit Deny wins, then an Allow from an
// identity policy or the resource's policy, else the request is implicitly denied.
//
// Caveats:
//   - Conditions: the String*, Arn*, Numeric*, Date*, Bool, IpAddress/NotIpAddress and Null operators, with
//     …IfExists and ForAnyValue:/ForAllValues:, over the keys the server knows (aws:SourceIp,
//     aws:SecureTransport, aws:CurrentTime, aws:EpochTime, aws:PrincipalArn, aws:PrincipalAccount,
//     aws:PrincipalType, aws:username, aws:userid, aws:RequestedRegion, aws:ResourceTag/…). An operator IAM does
//     not have is refused at parse time (MalformedPolicyDocument names it), never silently taken as true.
//   - Permission boundaries, SCPs and session policies do not exist here.
package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid         string
	Effect      string // Allow or Deny
	Actions     []string
	NotActions  []string
	Resources   []string
	NotResource []string
	// Principals is a resource policy's Principal: AWS ARNs or account ids, or "*" for anyone.
	Principals []string
	// Conditions must all hold for the statement to apply.
	Conditions []Condition
	// Index is the statement's place in the document, from 0, for "the statement that decided".
	Index int
	// Text is the statement as written, indented, to show what decided.
	Text string
}

// MalformedPolicyError is a policy IAM would refuse, with where in the document (line and column from 1).
type MalformedPolicyError struct {
	Line, Column int
	Msg          string
}

func (e *MalformedPolicyError) Error() string {
	if e.Line == 0 {
		return "MalformedPolicyDocument: " + e.Msg
	}
	return fmt.Sprintf("MalformedPolicyDocument: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// policyKind is what a document is for: an identity's, a resource's (naming principals), or a role's trust
// policy (a resource policy whose resource is the role itself, so it names none).
type policyKind int

const (
	identityPolicy policyKind = iota
	resourcePolicy
	trustPolicy
)

// ParsePolicy reads a policy document; resource says it is a resource policy (it must name a Principal).
func ParsePolicy(doc string, resource bool) (*Policy, error) {
	if resource {
		return parsePolicy(doc, resourcePolicy)
	}
	return parsePolicy(doc, identityPolicy)
}

// ParseTrustPolicy reads a role's trust policy: statements with a Principal and no Resource.
func ParseTrustPolicy(doc string) (*Policy, error) { return parsePolicy(doc, trustPolicy) }

func parsePolicy(doc string, kind policyKind) (*Policy, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(doc, err)
	}
	if raw.Version != "2012-10-17" && raw.Version != "2008-10-17" {
		return nil, &MalformedPolicyError{Msg: fmt.Sprintf("Version %q is not 2012-10-17 or 2008-10-17", raw.Version)}
	}
	var stmts []json.RawMessage
	if t := bytes.TrimSpace(raw.Statement); len(t) > 0 && t[0] == '{' {
		stmts = []json.RawMessage{raw.Statement}
	} else if err := json.Unmarshal(raw.Statement, &stmts); err != nil || len(stmts) == 0 {
		return nil, &MalformedPolicyError{Msg: "Statement must be a statement or a non-empty list of statements"}
	}
	p := &Policy{Version: raw.Version}
	for i, s := range stmts {
		st, err := parseStatement(s, kind)
		if err != nil {
			return nil, &MalformedPolicyError{Msg: fmt.Sprintf("statement %d: %s", i+1, err)}
		}
		st.Index = i
		var ind bytes.Buffer
		if json.Indent(&ind, s, "", "  ") == nil {
			st.Text = ind.String()
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(b json.RawMessage, kind policyKind) (Statement, error) {
	resource := kind != identityPolicy
	var raw struct {
		Sid         string
		Effect      string
		Action      stringOrList
		NotAction   stringOrList
		Resource    stringOrList
		NotResource stringOrList
		Principal   json.RawMessage
		Condition   json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Statement{}, fmt.Errorf("%v", err)
	}
	st := Statement{Sid: raw.Sid, Effect: raw.Effect, Actions: raw.Action, NotActions: raw.NotAction,
		Resources: raw.Resource, NotResource: raw.NotResource}
	switch {
	case st.Effect != "Allow" && st.Effect != "Deny":
		return st, fmt.Errorf("the Effect %q is not Allow or Deny", st.Effect)
	case (len(st.Actions) == 0) == (len(st.NotActions) == 0):
		return st, fmt.Errorf("give Action or NotAction (one of them)")
	case kind == trustPolicy && (len(st.Resources) > 0 || len(st.NotResource) > 0):
		return st, fmt.Errorf("a trust policy has no Resource: the role is its resource")
	case kind != trustPolicy && (len(st.Resources) == 0) == (len(st.NotResource) == 0):
		return st, fmt.Errorf("give Resource or NotResource (one of them)")
	}
	if len(raw.Condition) > 0 {
		conds, err := parseConditions(raw.Condition)
		if err != nil {
			return st, err
		}
		st.Conditions = conds
	}
	for _, a := range append(append([]string(nil), st.Actions...), st.NotActions...) {
		if a != "*" && !strings.Contains(a, ":") {
			return st, fmt.Errorf("action %q is not service:Action (e.g. kinesis:PutRecord)", a)
		}
	}
	if len(raw.Principal) > 0 {
		if !resource {
			return st, fmt.Errorf("an identity policy has no Principal")
		}
		ps, err := parsePrincipal(raw.Principal)
		if err != nil {
			return st, err
		}
		st.Principals = ps
	} else if resource {
		return st, fmt.Errorf("a resource policy's statement needs a Principal")
	}
	return st, nil
}

func parsePrincipal(b json.RawMessage) ([]string, error) {
	var star string
	if json.Unmarshal(b, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf("the Principal %q: give \"*\" or {\"AWS\": …}", star)
		}
		return []string{"*"}, nil
	}
	var m map[string]stringOrList
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the Principal: %v", err)
	}
	aws, ok := m["AWS"]
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("the Principal: only {\"AWS\": …} principals exist here")
	}
	return aws, nil
}

// stringOrList is IAM's "a string or a list of strings".
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*s = many
	return nil
}

// jsonError places a JSON error at its line and column.
func jsonError(doc string, err error) error {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset - 1 // the offset counts the offending character itself
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 {
		return &MalformedPolicyError{Msg: err.Error()}
	}
	line, col := 1, 1
	for _, c := range doc[:min(int(off), len(doc))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &MalformedPolicyError{Line: line, Column: col, Msg: err.Error()}
}

// matches reports whether value matches an IAM pattern: * any run of characters, ? one; actions case-insensitively.
func matches(pattern, value string, foldCase bool) bool {
	if foldCase {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	// path.Match's * stops at '/', which IAM's does not: escape the slashes away first.
	p := strings.ReplaceAll(strings.ReplaceAll(pattern, "\\", "\\\\"), "[", "\\[")
	ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(value, "/", "\x00"))
	return err == nil && ok
}

func anyMatch(patterns []string, value string, foldCase bool) bool {
	for _, p := range patterns {
		if matches(p, value, foldCase) {
			return true
		}
	}
	return false
}

// applies reports whether the statement covers the request. A resource policy's statement names its principals;
// one that names only the principal's account (the account id or its root) delegates to the account's own
// policies and grants a user nothing by itself, as IAM treats it: accountOnly reports that case.
func (s Statement) applies(req Request) (ok, accountOnly bool) {
	if len(s.Actions) > 0 && !anyMatch(s.Actions, req.Action, true) {
		return false, false
	}
	if len(s.NotActions) > 0 && anyMatch(s.NotActions, req.Action, true) {
		return false, false
	}
	if len(s.Resources) > 0 && !anyMatch(req.Context.substituteAll(s.Resources), req.Resource, false) {
		return false, false
	}
	if len(s.NotResource) > 0 && anyMatch(req.Context.substituteAll(s.NotResource), req.Resource, false) {
		return false, false
	}
	for _, c := range s.Conditions {
		if !c.holds(req.Context) {
			return false, false
		}
	}
	if s.Principals == nil {
		return true, false
	}
	named, account := false, false
	for _, p := range s.Principals {
		switch {
		case p == "*" || p == req.Principal || (req.Role != "" && p == req.Role):
			named = true
		case p == req.Account || p == "arn:aws:iam::"+req.Account+":root":
			account = true
		}
	}
	return named || account, account && !named
}

func (c Context) substituteAll(patterns []string) []string {
	if c == nil {
		return patterns
	}
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = c.substitute(p)
	}
	return out
}
