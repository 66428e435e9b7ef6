// Package auth checks who sends a request: AWS Signature Version 4 over the credentials Shardlab knows, answered
// with the errors AWS sends when a signature is missing, malformed, made with an unknown key, too old, or wrong.
// The signature is computed by the AWS SDK's own signer (aws-sdk-go-v2's v4.Signer) over the headers the client
// says it signed, and compared in constant time; nothing here implements HMAC or SHA-256 itself.
//
// Caveats:
//   - A client that signs a header the SDK's signer never signs (User-Agent, Expect, Transfer-Encoding,
//     X-Amzn-Trace-Id) is refused with InvalidSignatureException; the AWS SDKs and CLIs do not sign them.
//   - The clock skew allowed is AWS's 5 minutes either way.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Error is a refused request, as AWS words it: a code (the exception's name), a message and an HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The errors AWS answers a request it cannot authenticate with.
const (
	MissingAuthenticationToken = "MissingAuthenticationTokenException"
	UnrecognizedClient         = "UnrecognizedClientException"
	InvalidSignature           = "InvalidSignatureException"
	IncompleteSignature        = "IncompleteSignatureException"
	ExpiredToken               = "ExpiredTokenException"
)

// MaxSkew is how far a request's signing time may be from the server's clock.
const MaxSkew = 5 * time.Minute

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"
)

// Identity is who signed a request.
type Identity struct {
	AccessKeyID string
	Account     string
	// ARN is the principal: arn:aws:iam::<account>:root, a user, or an assumed role's session.
	ARN string
}

// Keys finds the secret (and, for temporary credentials, the session token and expiry) of an access key.
type Keys interface {
	Lookup(accessKeyID string) (Key, bool)
}

// Key is one access key Shardlab accepts.
type Key struct {
	Identity
	Secret       string
	SessionToken string    // set for temporary credentials
	Expires      time.Time // zero for long-term keys
}

// Verifier checks request signatures.
type Verifier struct {
	keys   Keys
	now    func() time.Time
	signer *v4.Signer
}

// NewVerifier checks signatures against keys; now is the server's clock (time.Now when nil).
func NewVerifier(keys Keys, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{keys: keys, now: now, signer: v4.NewSigner()}
}

// signature is a request's SigV4 parts, from its Authorization header or its query (a presigned URL).
type signature struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          string
	presigned                        bool
	expires                          time.Duration
}

// Verify checks r's signature over body (already read; the request's own body is not used) and says who signed.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	sig, err := parseSignature(r)
	if err != nil {
		return Identity{}, err
	}
	key, ok := v.keys.Lookup(sig.accessKey)
	if !ok {
		return Identity{}, &Error{UnrecognizedClient, "The security token included in the request is invalid.", http.StatusBadRequest}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if sig.presigned {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	if key.SessionToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(key.SessionToken)) != 1 {
		return Identity{}, &Error{UnrecognizedClient, "The security token included in the request is invalid.", http.StatusBadRequest}
	}
	signed, err := time.Parse(amzDateFormat, sig.amzDate)
	if err != nil {
		return Identity{}, &Error{IncompleteSignature, fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", sig.amzDate), http.StatusBadRequest}
	}
	now := v.now().UTC()
	switch {
	case sig.presigned && now.After(signed.Add(sig.expires)):
		return Identity{}, &Error{InvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			signed.Add(sig.expires).Format(amzDateFormat), now.Format(amzDateFormat), now.Format(amzDateFormat), sig.expires), http.StatusBadRequest}
	case !sig.presigned && signed.Before(now.Add(-MaxSkew)):
		return Identity{}, &Error{InvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			sig.amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)), http.StatusBadRequest}
	case !sig.presigned && signed.After(now.Add(MaxSkew)):
		return Identity{}, &Error{InvalidSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			sig.amzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)), http.StatusBadRequest}
	}
	if !key.Expires.IsZero() && now.After(key.Expires) {
		return Identity{}, &Error{ExpiredToken, "The security token included in the request is expired", http.StatusBadRequest}
	}
	want, err := v.expected(r, body, sig, key, signed)
	if err != nil {
		return Identity{}, err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig.signature)) != 1 {
		return Identity{}, &Error{InvalidSignature, "The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", http.StatusBadRequest}
	}
	return key.Identity, nil
}

// expected signs a copy of r holding only the headers the client signed, with the SDK's signer, and returns the
// signature it computes.
func (v *Verifier) expected(r *http.Request, body []byte, sig signature, key Key, signed time.Time) (string, error) {
	payload := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case sig.presigned || payload == unsignedPayload || strings.HasPrefix(payload, streamingPrefix):
		if payload == "" {
			payload = unsignedPayload
		}
	default:
		sum := sha256.Sum256(body)
		computed := hex.EncodeToString(sum[:])
		if payload != "" && payload != computed {
			return "", &Error{InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.", http.StatusBadRequest}
		}
		payload = computed
	}
	if !sig.presigned && slices.Contains(sig.signedHeaders, ":authority") { // an HTTP/2 client's (see authority.go)
		return authoritySignature(r, sig, key.Secret, payload, signed), nil
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	copyReq := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range sig.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			copyReq.ContentLength = int64(len(body))
			if cl := r.Header.Get("Content-Length"); cl != "" {
				fmt.Sscan(cl, &copyReq.ContentLength)
			} else if r.ContentLength >= 0 {
				copyReq.ContentLength = r.ContentLength
			}
		default:
			copyReq.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.Secret, SessionToken: key.SessionToken}
	if sig.presigned {
		q := u.Query()
		q.Del("X-Amz-Signature")
		q.Del("X-Amz-Algorithm")
		q.Del("X-Amz-Credential")
		q.Del("X-Amz-Date")
		q.Del("X-Amz-SignedHeaders")
		q.Del("X-Amz-Security-Token")
		u.RawQuery = q.Encode()
		signedURL, _, err := v.signer.PresignHTTP(context.Background(), creds, copyReq, payload, sig.service, sig.region, signed)
		if err != nil {
			return "", &Error{IncompleteSignature, err.Error(), http.StatusBadRequest}
		}
		pu, err := url.Parse(signedURL)
		if err != nil {
			return "", &Error{IncompleteSignature, err.Error(), http.StatusBadRequest}
		}
		return pu.Query().Get("X-Amz-Signature"), nil
	}
	if err := v.signer.SignHTTP(context.Background(), creds, copyReq, payload, sig.service, sig.region, signed); err != nil {
		return "", &Error{IncompleteSignature, err.Error(), http.StatusBadRequest}
	}
	_, got, _ := strings.Cut(copyReq.Header.Get("Authorization"), "Signature=")
	return got, nil
}

// parseSignature reads the SigV4 parts of r, or says, as AWS does, what is missing.
func parseSignature(r *http.Request) (signature, error) {
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "" {
		return parsePresigned(q)
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return signature{}, &Error{MissingAuthenticationToken, "Missing Authentication Token", http.StatusBadRequest}
	}
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != algorithm {
		return signature{}, &Error{IncompleteSignature, fmt.Sprintf("Unsupported Authorization Type. Authorization=%s", auth), http.StatusBadRequest}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = val
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return signature{}, &Error{IncompleteSignature, strings.Join(missing, " ") + " Authorization=" + auth, http.StatusBadRequest}
	}
	sig := signature{signedHeaders: strings.Split(fields["SignedHeaders"], ";"), signature: fields["Signature"], amzDate: amzDate}
	if err := sig.credential(fields["Credential"]); err != nil {
		return signature{}, err
	}
	if !slices.Contains(sig.signedHeaders, "host") && !slices.Contains(sig.signedHeaders, ":authority") {
		return signature{}, &Error{IncompleteSignature, "Signed headers must include 'host'.", http.StatusBadRequest}
	}
	return sig, nil
}

func parsePresigned(q url.Values) (signature, error) {
	if q.Get("X-Amz-Algorithm") != algorithm {
		return signature{}, &Error{IncompleteSignature, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", http.StatusBadRequest}
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return signature{}, &Error{IncompleteSignature, "The request is missing " + strings.Join(missing, ", ") + ".", http.StatusBadRequest}
	}
	sig := signature{signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), signature: q.Get("X-Amz-Signature"),
		amzDate: q.Get("X-Amz-Date"), presigned: true, expires: 15 * time.Minute}
	if e := q.Get("X-Amz-Expires"); e != "" {
		var secs int
		if _, err := fmt.Sscan(e, &secs); err != nil || secs < 1 || secs > 604800 {
			return signature{}, &Error{IncompleteSignature, "X-Amz-Expires must be between 1 and 604800 seconds.", http.StatusBadRequest}
		}
		sig.expires = time.Duration(secs) * time.Second
	}
	if err := sig.credential(q.Get("X-Amz-Credential")); err != nil {
		return signature{}, err
	}
	return sig, nil
}

// credential reads "AKID/20260101/us-east-1/kinesis/aws4_request".
func (s *signature) credential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return &Error{IncompleteSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", c) +
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term", http.StatusBadRequest}
	}
	s.accessKey, s.date, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if !strings.HasPrefix(s.amzDate, s.date) {
		return &Error{InvalidSignature, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.date, s.amzDate[:min(8, len(s.amzDate))], s.amzDate), http.StatusBadRequest}
	}
	return nil
}
