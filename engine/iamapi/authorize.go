package iamapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/firehoseapi"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/kinesisapi"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
)

// Authorizer decides each signed call with IAM's logic before it reaches its API (the Decider's: the caller's
// identity policies and the resource's policy, as PutResourcePolicy stored it), and records the decision. Calls
// without an identity (the port runs with --auth off) pass.
type Authorizer struct {
	Decider *iam.Decider
	Next    http.Handler
}

func (a Authorizer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := auth.FromContext(r.Context())
	if !ok || r.Method == http.MethodOptions {
		a.Next.ServeHTTP(w, r)
		return
	}
	action, resource := a.target(r, id)
	if action == "" { // IAM and STS decide for themselves
		a.Next.ServeHTTP(w, r)
		return
	}
	d := a.Decider.Decide(r.Context(), iam.Question{Principal: id.ARN, Action: action, Resource: resource,
		Region: regionOf(r), SourceIP: sourceIP(r), TLS: r.TLS != nil})
	if d.Allowed {
		a.Next.ServeHTTP(w, r)
		return
	}
	denied := &auth.Error{Code: "AccessDeniedException", Message: d.Message, Status: http.StatusBadRequest}
	if kinesisvideoapi.IsAPIPath(r.URL.Path) {
		kinesisvideoapi.WriteError(w, http.StatusForbidden, denied.Code, denied.Message)
		return
	}
	kinesisapi.WriteError(w, r, denied)
}

// target maps a call to its IAM action and resource ARN, as AWS's Service Authorization Reference names them.
func (a Authorizer) target(r *http.Request, id auth.Identity) (action, resource string) {
	region := regionOf(r)
	body := names(r)
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "Kinesis_20131202."):
		action = "kinesis:" + strings.TrimPrefix(target, "Kinesis_20131202.")
		switch {
		case body.ConsumerARN != "":
			resource = body.ConsumerARN
		case body.StreamARN != "":
			resource = body.StreamARN
		case body.ResourceARN != "":
			resource = body.ResourceARN
		case body.StreamName != "":
			resource = "arn:aws:kinesis:" + region + ":" + id.Account + ":stream/" + body.StreamName
		default:
			resource = "*"
		}
	case strings.HasPrefix(target, firehoseapi.TargetPrefix):
		action = "firehose:" + strings.TrimPrefix(target, firehoseapi.TargetPrefix)
		resource = "*"
		if body.DeliveryStreamName != "" {
			resource = "arn:aws:firehose:" + region + ":" + id.Account + ":deliverystream/" + body.DeliveryStreamName
		}
	case kinesisvideoapi.IsAPIPath(r.URL.Path):
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name != "" {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		action = "kinesisvideo:" + name
		switch {
		case body.StreamARN != "":
			resource = body.StreamARN
		case body.StreamName != "":
			resource = "arn:aws:kinesisvideo:" + region + ":" + id.Account + ":stream/" + body.StreamName + "/*"
		default:
			resource = "*"
		}
	}
	return action, resource
}

// callNames are the members of a call that name its resource.
type callNames struct {
	StreamName, StreamARN, ConsumerARN, DeliveryStreamName, ResourceARN string
}

// smallBody is the largest body decoded whole to find the names; larger ones (PutRecords, up to 5 MiB) are
// scanned for them instead, which is what keeps the check cheap: decoding a 500-record PutRecords twice halved
// ingest.
const smallBody = 64 << 10

// names reads the resource's names from the body (which the signature check already holds in memory) and puts
// the body back for the API. A member is found by its key as an SDK writes it ("StreamName":"…"): a key cannot
// appear that way inside a JSON string, where its quotes would be escaped. CBOR bodies are decoded when small;
// a large CBOR call names "*", which a stream-scoped policy does not allow (the safe side).
func names(r *http.Request) callNames {
	var n callNames
	b, ok := auth.BodyFromContext(r.Context()) // the signature check has read it already
	if !ok {
		if r.Body == nil {
			return n
		}
		b, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	cborBody := strings.Contains(r.Header.Get("Content-Type"), "cbor")
	switch {
	case cborBody && len(b) <= smallBody:
		_ = cbor.Unmarshal(b, &n)
	case cborBody:
	case len(b) <= smallBody:
		_ = json.Unmarshal(b, &n)
	default:
		n.StreamName = jsonMember(b, "StreamName")
		n.StreamARN = jsonMember(b, "StreamARN")
		n.DeliveryStreamName = jsonMember(b, "DeliveryStreamName")
	}
	return n
}

// jsonMember finds "key":"value" in b and returns the value (JSON-unescaped), or "".
func jsonMember(b []byte, key string) string {
	i := bytes.Index(b, []byte(`"`+key+`":"`))
	if i < 0 {
		return ""
	}
	open := i + len(key) + 3 // the value's opening quote
	end := bytes.IndexByte(b[open+1:], '"')
	if end < 0 {
		return ""
	}
	var v string
	if json.Unmarshal(b[open:open+1+end+1], &v) != nil {
		return ""
	}
	return v
}

// regionOf is the region of the request's SigV4 credential scope.
func regionOf(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if i := strings.Index(a, "Credential="); i >= 0 {
		parts := strings.Split(strings.SplitN(a[i+len("Credential="):], ",", 2)[0], "/")
		if len(parts) >= 3 {
			return parts[2]
		}
	}
	return "us-east-1"
}

// KeyChain looks up an access key in each of its key sets in turn (the root's, then the IAM users').
type KeyChain []auth.Keys

func (c KeyChain) Lookup(id string) (auth.Key, bool) {
	for _, k := range c {
		if key, ok := k.Lookup(id); ok {
			return key, true
		}
	}
	return auth.Key{}, false
}
