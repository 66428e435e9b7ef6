package kinesisapi

import (
	"net/http"
	"strings"
)

// credentialScope reads the access key id and region from a SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/kinesis/aws4_request, SignedHeaders=…, Signature=…").
// Signatures are checked, when the port runs with --auth verify, by engine/auth in front of this server; here the
// scope only places the call in an account and region.
func credentialScope(r *http.Request) (accessKey, region string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 3 {
		return parts[0], ""
	}
	return parts[0], parts[2]
}

// accountFor maps an access key to an account: an explicit mapping first, then a 12-digit access key is taken as
// the account id itself (LocalStack's convention), else the default account.
func (s *Server) accountFor(accessKey string) string {
	if acct, ok := s.opts.Accounts[accessKey]; ok {
		return acct
	}
	if len(accessKey) == 12 && strings.Trim(accessKey, "0123456789") == "" {
		return accessKey
	}
	return ""
}
