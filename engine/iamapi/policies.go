package iamapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"time"

	"github.com/shardlab/shardlab/engine/iam"
)

func init() {
	actions["CreatePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		p, err := h.Store.CreatePolicy(r.Context(), f.Get("PolicyName"), f.Get("Path"), f.Get("Description"), f.Get("PolicyDocument"))
		return struct {
			XMLName xml.Name `xml:"CreatePolicyResult"`
			Policy  policyXML
		}{Policy: policyOf(p, 0)}, err
	}
	actions["GetPolicy"] = func(h Handler, _ *http.Request, f url.Values) (any, error) {
		p, n, err := h.Store.GetPolicy(f.Get("PolicyArn"))
		return struct {
			XMLName xml.Name `xml:"GetPolicyResult"`
			Policy  policyXML
		}{Policy: policyOf(p, n)}, err
	}
	actions["GetPolicyVersion"] = getPolicyVersion
	actions["ListPolicies"] = listPolicies
	actions["DeletePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeletePolicy(r.Context(), f.Get("PolicyArn"))
	}
}

type policyXML struct {
	PolicyName       string
	PolicyId         string
	Arn              string
	Path             string
	DefaultVersionId string
	AttachmentCount  int
	IsAttachable     bool
	Description      string `xml:",omitempty"`
	CreateDate       string
	UpdateDate       string
}

func policyOf(p iam.ManagedPolicy, attachments int) policyXML {
	return policyXML{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionId: iam.DefaultVersion,
		AttachmentCount: attachments, IsAttachable: true, Description: p.Description,
		CreateDate: p.Created.Format(time.RFC3339), UpdateDate: p.Created.Format(time.RFC3339)}
}

func getPolicyVersion(h Handler, _ *http.Request, f url.Values) (any, error) {
	p, _, err := h.Store.GetPolicy(f.Get("PolicyArn"))
	if err == nil && f.Get("VersionId") != iam.DefaultVersion {
		err = &iam.Error{Code: "NoSuchEntity", Message: "Policy " + p.ARN + " version " + f.Get("VersionId") + " does not exist or is not attachable.", Status: 404}
	}
	type version struct {
		Document         string
		VersionId        string
		IsDefaultVersion bool
		CreateDate       string
	}
	return struct {
		XMLName       xml.Name `xml:"GetPolicyVersionResult"`
		PolicyVersion version
	}{PolicyVersion: version{Document: rfc3986(p.Document), VersionId: iam.DefaultVersion, IsDefaultVersion: true,
		CreateDate: p.Created.Format(time.RFC3339)}}, err
}

func listPolicies(h Handler, _ *http.Request, f url.Values) (any, error) {
	scope := f.Get("Scope")
	switch scope {
	case "":
		scope = "All"
	case "All", "AWS", "Local":
	default:
		return nil, &iam.Error{Code: "ValidationError", Message: "1 validation error detected: Value '" + scope + "' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", Status: 400}
	}
	var out []policyXML
	for _, p := range h.Store.Policies(scope) {
		_, n, _ := h.Store.GetPolicy(p.ARN)
		if f.Get("OnlyAttached") == "true" && n == 0 {
			continue
		}
		out = append(out, policyOf(p, n))
	}
	return struct {
		XMLName     xml.Name    `xml:"ListPoliciesResult"`
		Policies    []policyXML `xml:"Policies>member"`
		IsTruncated bool
	}{Policies: out}, nil
}
