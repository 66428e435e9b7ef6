// Package iamapi serves a subset of the IAM and STS Query APIs (form-encoded requests, XML answers) on Shardlab's
// port, so `aws iam …`, `aws sts get-caller-identity` and boto3 work unchanged: users, their access keys and
// inline policies, and the caller's identity. Each action is a thin translation to engine/iam's Store.
package iamapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/internal/randid"
)

const (
	iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// IsQueryAPI reports whether r is an IAM or STS call: a form-encoded POST signed for iam or sts, or naming an
// action of theirs.
func IsQueryAPI(r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return false
	}
	a := r.Header.Get("Authorization")
	return strings.Contains(a, "/iam/aws4_request") || strings.Contains(a, "/sts/aws4_request")
}

// Handler answers IAM and STS calls for the account of its Store. Callers are known from auth.FromContext (the
// port's signature check); without one (the port runs with --auth off) a call acts as the account's root.
type Handler struct {
	Store *iam.Store
}

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, iamNS, &iam.Error{Code: "MalformedQueryString", Message: err.Error(), Status: 400})
		return
	}
	f := r.PostForm
	if len(f) == 0 {
		f = r.Form
	}
	caller, ok := auth.FromContext(r.Context())
	if !ok {
		caller = auth.Identity{ARN: "arn:aws:iam::" + h.account() + ":root", Account: h.account()}
	}
	action := f.Get("Action")
	if action == "GetCallerIdentity" {
		writeXML(w, "GetCallerIdentityResponse", stsNS, struct {
			XMLName xml.Name `xml:"GetCallerIdentityResult"`
			Arn     string
			UserId  string
			Account string
		}{Arn: caller.ARN, UserId: userID(h.Store, caller), Account: caller.Account})
		return
	}
	if !strings.HasSuffix(caller.ARN, ":root") {
		// Managing IAM itself is the root's: a user gets what IAM answers a user without iam:* permissions.
		writeError(w, iamNS, &iam.Error{Code: "AccessDenied", Status: 403, Message: "User: " + caller.ARN +
			" is not authorized to perform: iam:" + action + " on resource: " + resourceOf(h, f) +
			" because no identity-based policy allows the iam:" + action + " action"})
		return
	}
	result, err := h.do(r, action, f)
	if err != nil {
		var ie *iam.Error
		if !errors.As(err, &ie) {
			ie = &iam.Error{Code: "ServiceFailure", Message: err.Error(), Status: 500}
		}
		writeError(w, iamNS, ie)
		return
	}
	writeXML(w, action+"Response", iamNS, result)
}

func (h Handler) account() string {
	u := h.Store.AccountID()
	return u
}

func resourceOf(h Handler, f url.Values) string {
	if u := f.Get("UserName"); u != "" {
		return "arn:aws:iam::" + h.account() + ":user/" + u
	}
	return "*"
}

func userID(s *iam.Store, id auth.Identity) string {
	if strings.HasSuffix(id.ARN, ":root") {
		return id.Account
	}
	if name, ok := strings.CutPrefix(id.ARN, "arn:aws:iam::"+id.Account+":user/"); ok {
		if u, err := s.GetUser(name); err == nil {
			return u.ID
		}
	}
	return id.AccessKeyID
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

func (h Handler) do(r *http.Request, action string, f url.Values) (any, error) {
	ctx := r.Context()
	name := f.Get("UserName")
	switch action {
	case "CreateUser":
		u, err := h.Store.CreateUser(ctx, name)
		return struct {
			XMLName xml.Name `xml:"CreateUserResult"`
			User    userXML
		}{User: toXML(u)}, err
	case "GetUser":
		u, err := h.Store.GetUser(name)
		return struct {
			XMLName xml.Name `xml:"GetUserResult"`
			User    userXML
		}{User: toXML(u)}, err
	case "ListUsers":
		var out []userXML
		for _, u := range h.Store.Users() {
			out = append(out, toXML(u))
		}
		return struct {
			XMLName     xml.Name  `xml:"ListUsersResult"`
			Users       []userXML `xml:"Users>member"`
			IsTruncated bool
		}{Users: out}, nil
	case "DeleteUser":
		return nil, h.Store.DeleteUser(ctx, name)
	case "CreateAccessKey":
		k, err := h.Store.CreateAccessKey(ctx, name)
		return struct {
			XMLName   xml.Name `xml:"CreateAccessKeyResult"`
			AccessKey keyXML
		}{AccessKey: keyXML{UserName: k.User, AccessKeyId: k.ID, Status: k.Status, SecretAccessKey: k.Secret,
			CreateDate: k.Created.Format(time.RFC3339)}}, err
	case "ListAccessKeys":
		keys, err := h.Store.AccessKeys(name)
		var out []keyXML
		for _, k := range keys {
			out = append(out, keyXML{UserName: k.User, AccessKeyId: k.ID, Status: k.Status, CreateDate: k.Created.Format(time.RFC3339)})
		}
		return struct {
			XMLName           xml.Name `xml:"ListAccessKeysResult"`
			AccessKeyMetadata []keyXML `xml:"AccessKeyMetadata>member"`
			IsTruncated       bool
		}{AccessKeyMetadata: out}, err
	case "DeleteAccessKey":
		return nil, h.Store.DeleteAccessKey(ctx, name, f.Get("AccessKeyId"))
	case "PutUserPolicy":
		return nil, h.Store.PutUserPolicy(ctx, name, f.Get("PolicyName"), f.Get("PolicyDocument"))
	case "GetUserPolicy":
		doc, err := h.Store.UserPolicy(name, f.Get("PolicyName"))
		return struct {
			XMLName        xml.Name `xml:"GetUserPolicyResult"`
			UserName       string
			PolicyName     string
			PolicyDocument string
		}{UserName: name, PolicyName: f.Get("PolicyName"), PolicyDocument: strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")}, err // RFC 3986, as IAM encodes it
	case "DeleteUserPolicy":
		return nil, h.Store.DeleteUserPolicy(ctx, name, f.Get("PolicyName"))
	case "ListUserPolicies":
		u, err := h.Store.GetUser(name)
		var names []string
		for n := range u.Policies {
			names = append(names, n)
		}
		return struct {
			XMLName     xml.Name `xml:"ListUserPoliciesResult"`
			PolicyNames []string `xml:"PolicyNames>member"`
			IsTruncated bool
		}{PolicyNames: names}, err
	}
	return nil, &iam.Error{Code: "InvalidAction", Message: "Could not find operation " + action + " for version 2010-05-08", Status: 400}
}

func writeXML(w http.ResponseWriter, root, ns string, result any) {
	type metadata struct {
		RequestId string
	}
	doc := struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           any
		ResponseMetadata metadata
	}{XMLName: xml.Name{Local: root}, Xmlns: ns, Result: result, ResponseMetadata: metadata{RequestId: randid.UUID()}}
	b, err := xml.Marshal(doc)
	if err != nil {
		writeError(w, ns, &iam.Error{Code: "ServiceFailure", Message: err.Error(), Status: 500})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(append([]byte(xml.Header), b...))
}

func writeError(w http.ResponseWriter, ns string, e *iam.Error) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	doc := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type, Code, Message string
		}
		RequestId string
	}{Xmlns: ns, RequestId: randid.UUID()}
	doc.Error.Type, doc.Error.Code, doc.Error.Message = kind, e.Code, e.Message
	b, _ := xml.Marshal(doc)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	w.Write(append([]byte(xml.Header), b...))
}

// WriteAuthError answers a Query API call the port's signature check refused, in XML as IAM and STS do.
func WriteAuthError(w http.ResponseWriter, e *auth.Error) {
	writeError(w, iamNS, &iam.Error{Code: e.Code, Message: e.Message, Status: e.Status})
}
