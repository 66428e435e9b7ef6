package iamapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/iam"
)

func init() {
	actions["CreateUser"] = createUser
	actions["GetUser"] = getUser
	actions["ListUsers"] = listUsers
	actions["DeleteUser"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeleteUser(r.Context(), f.Get("UserName"))
	}
	actions["CreateAccessKey"] = createAccessKey
	actions["ListAccessKeys"] = listAccessKeys
	actions["DeleteAccessKey"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeleteAccessKey(r.Context(), f.Get("UserName"), f.Get("AccessKeyId"))
	}
	actions["PutUserPolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.PutUserPolicy(r.Context(), f.Get("UserName"), f.Get("PolicyName"), f.Get("PolicyDocument"))
	}
	actions["GetUserPolicy"] = getUserPolicy
	actions["DeleteUserPolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeleteUserPolicy(r.Context(), f.Get("UserName"), f.Get("PolicyName"))
	}
	actions["ListUserPolicies"] = listUserPolicies
	actions["AttachUserPolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.AttachUserPolicy(r.Context(), f.Get("UserName"), f.Get("PolicyArn"))
	}
	actions["DetachUserPolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DetachUserPolicy(r.Context(), f.Get("UserName"), f.Get("PolicyArn"))
	}
	actions["ListAttachedUserPolicies"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		u, err := h.Store.GetUser(f.Get("UserName"))
		return struct {
			XMLName          xml.Name         `xml:"ListAttachedUserPoliciesResult"`
			AttachedPolicies []attachedPolicy `xml:"AttachedPolicies>member"`
			IsTruncated      bool
		}{AttachedPolicies: attachedXML(h.Store.AttachedPolicies(u.Attached))}, err
	}
}

type userXML struct {
	Path       string
	UserName   string
	UserId     string
	Arn        string
	CreateDate string
}

func toXML(u iam.User) userXML {
	return userXML{Path: "/", UserName: u.Name, UserId: u.ID, Arn: u.ARN, CreateDate: u.Created.Format(time.RFC3339)}
}

type keyXML struct {
	UserName        string
	AccessKeyId     string
	Status          string
	SecretAccessKey string `xml:",omitempty"`
	CreateDate      string
}

type attachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

func attachedXML(ps []iam.ManagedPolicy) []attachedPolicy {
	var out []attachedPolicy
	for _, p := range ps {
		out = append(out, attachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	return out
}

// rfc3986 encodes a policy document as IAM returns one (URL-encoded, spaces as %20).
func rfc3986(doc string) string { return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20") }

func createUser(h Handler, r *http.Request, f url.Values) (any, error) {
	u, err := h.Store.CreateUser(r.Context(), f.Get("UserName"))
	return struct {
		XMLName xml.Name `xml:"CreateUserResult"`
		User    userXML
	}{User: toXML(u)}, err
}

func getUser(h Handler, r *http.Request, f url.Values) (any, error) {
	name := f.Get("UserName")
	if name == "" { // GetUser without a name is the caller, who is the root here
		return nil, &iam.Error{Code: "ValidationError", Message: "Must specify userName when calling with non-User credentials", Status: 400}
	}
	u, err := h.Store.GetUser(name)
	return struct {
		XMLName xml.Name `xml:"GetUserResult"`
		User    userXML
	}{User: toXML(u)}, err
}

func listUsers(h Handler, _ *http.Request, _ url.Values) (any, error) {
	var out []userXML
	for _, u := range h.Store.Users() {
		out = append(out, toXML(u))
	}
	return struct {
		XMLName     xml.Name  `xml:"ListUsersResult"`
		Users       []userXML `xml:"Users>member"`
		IsTruncated bool
	}{Users: out}, nil
}

func createAccessKey(h Handler, r *http.Request, f url.Values) (any, error) {
	k, err := h.Store.CreateAccessKey(r.Context(), f.Get("UserName"))
	return struct {
		XMLName   xml.Name `xml:"CreateAccessKeyResult"`
		AccessKey keyXML
	}{AccessKey: keyXML{UserName: k.User, AccessKeyId: k.ID, Status: k.Status, SecretAccessKey: k.Secret,
		CreateDate: k.Created.Format(time.RFC3339)}}, err
}

func listAccessKeys(h Handler, _ *http.Request, f url.Values) (any, error) {
	keys, err := h.Store.AccessKeys(f.Get("UserName"))
	var out []keyXML
	for _, k := range keys {
		out = append(out, keyXML{UserName: k.User, AccessKeyId: k.ID, Status: k.Status, CreateDate: k.Created.Format(time.RFC3339)})
	}
	return struct {
		XMLName           xml.Name `xml:"ListAccessKeysResult"`
		AccessKeyMetadata []keyXML `xml:"AccessKeyMetadata>member"`
		IsTruncated       bool
	}{AccessKeyMetadata: out}, err
}

func getUserPolicy(h Handler, _ *http.Request, f url.Values) (any, error) {
	name, policy := f.Get("UserName"), f.Get("PolicyName")
	doc, err := h.Store.UserPolicy(name, policy)
	return struct {
		XMLName        xml.Name `xml:"GetUserPolicyResult"`
		UserName       string
		PolicyName     string
		PolicyDocument string
	}{UserName: name, PolicyName: policy, PolicyDocument: rfc3986(doc)}, err
}

func listUserPolicies(h Handler, _ *http.Request, f url.Values) (any, error) {
	u, err := h.Store.GetUser(f.Get("UserName"))
	return struct {
		XMLName     xml.Name `xml:"ListUserPoliciesResult"`
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool
	}{PolicyNames: sortedNames(u.Policies)}, err
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
