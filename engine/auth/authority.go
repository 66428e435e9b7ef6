package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// HTTP/2 clients such as the JavaScript SDK v3 sign the ":authority" pseudo-header where HTTP/1.1 clients sign
// "host". The SDK's Go signer always signs "host", so for these requests the canonical request is built here, as
// SigV4 specifies it, and signed with crypto/hmac and crypto/sha256 (the standard library's primitives; nothing
// cryptographic is written here).
func authoritySignature(r *http.Request, sig signature, secret, payload string, signed time.Time) string {
	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canon.WriteString(path + "\n")
	canon.WriteString(canonicalQuery(r) + "\n")
	for _, h := range sig.signedHeaders {
		var v string
		switch h {
		case ":authority", "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
		default:
			vals := r.Header.Values(h)
			for i := range vals {
				vals[i] = strings.Join(strings.Fields(vals[i]), " ")
			}
			v = strings.Join(vals, ",")
		}
		canon.WriteString(h + ":" + v + "\n")
	}
	canon.WriteString("\n" + strings.Join(sig.signedHeaders, ";") + "\n" + payload)
	date := signed.Format("20060102")
	scope := date + "/" + sig.region + "/" + sig.service + "/aws4_request"
	sum := sha256.Sum256([]byte(canon.String()))
	toSign := algorithm + "\n" + signed.Format(amzDateFormat) + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSum([]byte("AWS4"+secret), date)
	for _, part := range []string{sig.region, sig.service, "aws4_request"} {
		key = hmacSum(key, part)
	}
	return hex.EncodeToString(hmacSum(key, toSign))
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery is the query sorted by key and value, each part escaped as SigV4 escapes it.
func canonicalQuery(r *http.Request) string {
	q := r.URL.Query()
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, sigEscape(k)+"="+sigEscape(v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

func sigEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}
