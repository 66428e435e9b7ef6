package iamapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/engine/iam"
)

func init() {
	actions["CreateRole"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		max := 0
		if v := f.Get("MaxSessionDuration"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, &iam.Error{Code: "ValidationError", Message: "MaxSessionDuration must be a number of seconds.", Status: 400}
			}
			max = n
		}
		role, err := h.Store.CreateRole(r.Context(), f.Get("RoleName"), f.Get("Path"), f.Get("Description"), f.Get("AssumeRolePolicyDocument"), max)
		return struct {
			XMLName xml.Name `xml:"CreateRoleResult"`
			Role    roleXML
		}{Role: roleOf(role)}, err
	}
	actions["GetRole"] = func(h Handler, _ *http.Request, f url.Values) (any, error) {
		role, err := h.Store.GetRole(f.Get("RoleName"))
		return struct {
			XMLName xml.Name `xml:"GetRoleResult"`
			Role    roleXML
		}{Role: roleOf(role)}, err
	}
	actions["ListRoles"] = func(h Handler, _ *http.Request, _ url.Values) (any, error) {
		var out []roleXML
		for _, role := range h.Store.Roles() {
			out = append(out, roleOf(role))
		}
		return struct {
			XMLName     xml.Name  `xml:"ListRolesResult"`
			Roles       []roleXML `xml:"Roles>member"`
			IsTruncated bool
		}{Roles: out}, nil
	}
	actions["DeleteRole"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeleteRole(r.Context(), f.Get("RoleName"))
	}
	actions["UpdateAssumeRolePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.UpdateAssumeRolePolicy(r.Context(), f.Get("RoleName"), f.Get("PolicyDocument"))
	}
	actions["PutRolePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.PutRolePolicy(r.Context(), f.Get("RoleName"), f.Get("PolicyName"), f.Get("PolicyDocument"))
	}
	actions["GetRolePolicy"] = func(h Handler, _ *http.Request, f url.Values) (any, error) {
		name, policy := f.Get("RoleName"), f.Get("PolicyName")
		doc, err := h.Store.RolePolicy(name, policy)
		return struct {
			XMLName        xml.Name `xml:"GetRolePolicyResult"`
			RoleName       string
			PolicyName     string
			PolicyDocument string
		}{RoleName: name, PolicyName: policy, PolicyDocument: rfc3986(doc)}, err
	}
	actions["DeleteRolePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DeleteRolePolicy(r.Context(), f.Get("RoleName"), f.Get("PolicyName"))
	}
	actions["ListRolePolicies"] = func(h Handler, _ *http.Request, f url.Values) (any, error) {
		role, err := h.Store.GetRole(f.Get("RoleName"))
		return struct {
			XMLName     xml.Name `xml:"ListRolePoliciesResult"`
			PolicyNames []string `xml:"PolicyNames>member"`
			IsTruncated bool
		}{PolicyNames: sortedNames(role.Policies)}, err
	}
	actions["AttachRolePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.AttachRolePolicy(r.Context(), f.Get("RoleName"), f.Get("PolicyArn"))
	}
	actions["DetachRolePolicy"] = func(h Handler, r *http.Request, f url.Values) (any, error) {
		return nil, h.Store.DetachRolePolicy(r.Context(), f.Get("RoleName"), f.Get("PolicyArn"))
	}
	actions["ListAttachedRolePolicies"] = func(h Handler, _ *http.Request, f url.Values) (any, error) {
		role, err := h.Store.GetRole(f.Get("RoleName"))
		return struct {
			XMLName          xml.Name         `xml:"ListAttachedRolePoliciesResult"`
			AttachedPolicies []attachedPolicy `xml:"AttachedPolicies>member"`
			IsTruncated      bool
		}{AttachedPolicies: attachedXML(h.Store.AttachedPolicies(role.Attached))}, err
	}
}

type roleXML struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
}

func roleOf(r iam.Role) roleXML {
	return roleXML{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: r.Created.Format(time.RFC3339),
		AssumeRolePolicyDocument: rfc3986(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
}
