package iamapi

import (
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/iam"
)

// stsActions are the STS actions served; any caller may make them (their policies decide AssumeRole).
var stsActions = map[string]func(h Handler, r *http.Request, f url.Values, caller auth.Identity) (any, error){
	"GetCallerIdentity": getCallerIdentity,
	"AssumeRole":        assumeRole,
}

func getCallerIdentity(h Handler, _ *http.Request, _ url.Values, caller auth.Identity) (any, error) {
	return struct {
		XMLName xml.Name `xml:"GetCallerIdentityResult"`
		Arn     string
		UserId  string
		Account string
	}{Arn: caller.ARN, UserId: userID(h.Store, caller), Account: caller.Account}, nil
}

func userID(s *iam.Store, id auth.Identity) string {
	if p := s.Resolve(id.ARN); p.UserID != "" {
		return p.UserID
	}
	return id.AccessKeyID
}

func assumeRole(h Handler, r *http.Request, f url.Values, caller auth.Identity) (any, error) {
	duration := 0
	if v := f.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, &iam.Error{Code: "ValidationError", Message: "DurationSeconds must be a number of seconds.", Status: 400}
		}
		duration = n
	}
	q := iam.Question{Principal: caller.ARN, Action: "sts:AssumeRole", Resource: f.Get("RoleArn"), Region: regionOf(r),
		SourceIP: sourceIP(r), TLS: r.TLS != nil}
	req := iam.Request{Principal: caller.ARN, Account: h.Store.AccountID(), Root: h.Store.Resolve(caller.ARN).Type == "Account"}
	if h.Decider != nil {
		req = h.Decider.RequestFor(q)
	}
	s, d, err := h.Store.AssumeRole(r.Context(), req, q.Resource, f.Get("RoleSessionName"), duration, h.now())
	if h.Decider != nil && h.Decider.Log != nil {
		h.Decider.Log.Add(iam.Logged{Time: h.now(), Question: q, Decision: d})
	}
	if err != nil {
		return nil, err
	}
	type credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type assumed struct {
		AssumedRoleId string
		Arn           string
	}
	return struct {
		XMLName          xml.Name `xml:"AssumeRoleResult"`
		Credentials      credentials
		AssumedRoleUser  assumed
		PackedPolicySize int
	}{Credentials: credentials{AccessKeyId: s.AccessKeyID, SecretAccessKey: s.Secret, SessionToken: s.SessionToken,
		Expiration: s.Expires.Format(time.RFC3339)},
		AssumedRoleUser: assumed{AssumedRoleId: s.RoleID + ":" + s.Name, Arn: s.ARN}}, nil
}

// sourceIP is the caller's address, for aws:SourceIp.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
