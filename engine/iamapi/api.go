// Package iamapi serves a subset of the IAM and STS Query APIs (form-encoded requests, XML answers) on Shardlab's
// port, so `aws iam …`, `aws sts …` and boto3 work unchanged: users and their access keys, inline and managed
// policies, roles, STS AssumeRole and GetCallerIdentity. Each action is a thin translation to engine/iam's Store,
// one file per entity (users.go, policies.go, roles.go, sts.go).
//
// Caveats:
//   - Managing IAM is the account root's: other callers are answered AccessDenied, whatever their policies say
//     about iam:* (their policies do decide sts:AssumeRole).
//   - Paging (Marker, MaxItems) is not offered: lists come whole, IsTruncated false.
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
	Store   *iam.Store
	Decider *iam.Decider // decides sts:AssumeRole with the caller's policies; nil: the Store's alone
	Now     func() time.Time
}

// action is one IAM call's translation: the form's members in, the result element out.
type action func(h Handler, r *http.Request, f url.Values) (any, error)

// actions are the IAM actions served, by name.
var actions = map[string]action{}

func (h Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
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
	if sts, ok := stsActions[action]; ok {
		result, err := sts(h, r, f, caller)
		if err != nil {
			writeError(w, stsNS, asIAMError(err))
			return
		}
		writeXML(w, action+"Response", stsNS, result)
		return
	}
	if !strings.HasSuffix(caller.ARN, ":root") {
		// Managing IAM itself is the root's: a user gets what IAM answers a user without iam:* permissions.
		writeError(w, iamNS, &iam.Error{Code: "AccessDenied", Status: 403, Message: "User: " + caller.ARN +
			" is not authorized to perform: iam:" + action + " on resource: " + resourceOf(h, f) +
			" because no identity-based policy allows the iam:" + action + " action"})
		return
	}
	do, ok := actions[action]
	if !ok {
		writeError(w, iamNS, &iam.Error{Code: "InvalidAction", Message: "Could not find operation " + action + " for version 2010-05-08", Status: 400})
		return
	}
	result, err := do(h, r, f)
	if err != nil {
		writeError(w, iamNS, asIAMError(err))
		return
	}
	writeXML(w, action+"Response", iamNS, result)
}

func asIAMError(err error) *iam.Error {
	var ie *iam.Error
	if !errors.As(err, &ie) {
		ie = &iam.Error{Code: "ServiceFailure", Message: err.Error(), Status: 500}
	}
	return ie
}

func (h Handler) account() string {
	u := h.Store.AccountID()
	return u
}

func resourceOf(h Handler, f url.Values) string {
	if u := f.Get("UserName"); u != "" {
		return "arn:aws:iam::" + h.account() + ":user/" + u
	}
	if r := f.Get("RoleName"); r != "" {
		return "arn:aws:iam::" + h.account() + ":role/" + r
	}
	if p := f.Get("PolicyArn"); p != "" {
		return p
	}
	return "*"
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
