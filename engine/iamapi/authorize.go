package iamapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/cloudwatchapi"
	"github.com/shardlab/shardlab/engine/firehoseapi"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/kinesisapi"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
)

// Authorizer decides each signed Firehose and Kinesis Video call with IAM's logic before it reaches its API (the
// Decider's: the caller's identity policies and the resource's policy), and records the decision; Kinesis calls
// are decided by the Kinesis API itself once it has decoded them, through Kinesis (kinesisapi.Options.Authorize).
// Calls without an identity (the port runs with --auth off) pass.
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
	if action == "" { // Kinesis, IAM and STS decide for themselves
		a.Next.ServeHTTP(w, r)
		return
	}
	denied := a.decide(r, id, action, resource)
	if denied == nil {
		a.Next.ServeHTTP(w, r)
		return
	}
	if kinesisvideoapi.IsAPIPath(r.URL.Path) {
		kinesisvideoapi.WriteError(w, http.StatusForbidden, denied.Code, denied.Message)
		return
	}
	kinesisapi.WriteError(w, r, denied)
}

// decide asks the decider, and words a denial as the APIs send it.
func (a Authorizer) decide(r *http.Request, id auth.Identity, action, resource string) *auth.Error {
	d := a.Decider.Decide(r.Context(), iam.Question{Principal: id.ARN, Action: action, Resource: resource,
		Region: regionOf(r), SourceIP: sourceIP(r), TLS: r.TLS != nil})
	if d.Allowed {
		return nil
	}
	return &auth.Error{Code: "AccessDeniedException", Message: d.Message, Status: http.StatusBadRequest}
}

// Kinesis decides a decoded Kinesis call (kinesisapi.Options.Authorize): kinesis:<action> on the consumer's,
// stream's or resource's ARN it names, "*" for calls on the account.
func (a Authorizer) Kinesis(r *http.Request, action string, t kinesisapi.Target) error {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		return nil
	}
	resource := "*"
	switch {
	case t.ConsumerARN != "":
		resource = t.ConsumerARN
	case t.StreamARN != "":
		resource = t.StreamARN
	case t.ResourceARN != "":
		resource = t.ResourceARN
	case t.StreamName != "":
		resource = "arn:aws:kinesis:" + regionOf(r) + ":" + id.Account + ":stream/" + t.StreamName
	}
	if denied := a.decide(r, id, "kinesis:"+action, resource); denied != nil {
		return denied // (not returned directly: a nil *auth.Error in an error is not nil)
	}
	return nil
}

// target maps a call to its IAM action and resource ARN, as AWS's Service Authorization Reference names them.
func (a Authorizer) target(r *http.Request, id auth.Identity) (action, resource string) {
	region := regionOf(r)
	target := r.Header.Get("X-Amz-Target")
	switch {
	case cloudwatchapi.IsCloudWatch(r):
		// CloudWatch's actions act on "*" in the Service Authorization Reference (alarms aside, which are
		// decided on "*" here too).
		action, resource = "cloudwatch:"+cloudWatchOperation(r), "*"
	case strings.HasPrefix(target, firehoseapi.TargetPrefix):
		body := names(r)
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
		body := names(r)
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

// cloudWatchOperation is a CloudWatch call's operation, in whichever protocol it came.
func cloudWatchOperation(r *http.Request) string {
	if op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "GraniteServiceVersion20100801."); ok {
		return op
	}
	if i := strings.LastIndex(r.URL.Path, "/operation/"); i >= 0 {
		return r.URL.Path[i+len("/operation/"):]
	}
	if b, ok := auth.BodyFromContext(r.Context()); ok {
		if form, err := url.ParseQuery(string(b)); err == nil {
			return form.Get("Action")
		}
	}
	return ""
}

// callNames are the members of a Firehose or Kinesis Video call that name its resource.
type callNames struct {
	StreamName, StreamARN, DeliveryStreamName string
}

// smallBody is the largest body decoded whole to find the names; larger ones (a PutRecordBatch, up to 4 MiB) are
// scanned for them first, which keeps the check cheap.
const smallBody = 64 << 10

// names reads the resource's names from the body (which the signature check already holds in memory) and puts
// the body back for the API. In a large body a member is found by its key as an SDK writes it
// ("DeliveryStreamName":"…"): a key cannot appear that way inside a JSON string, where its quotes would be
// escaped. A large body that does not spell it so (whitespace around the colon) is decoded whole: slower, but
// it names what the API will act on, so a Deny on the resource cannot be stepped around.
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
	if strings.Contains(r.Header.Get("Content-Type"), "cbor") {
		_ = cbor.Unmarshal(b, &n)
		return n
	}
	if len(b) > smallBody {
		n.StreamName = jsonMember(b, "StreamName")
		n.StreamARN = jsonMember(b, "StreamARN")
		n.DeliveryStreamName = jsonMember(b, "DeliveryStreamName")
		if n != (callNames{}) {
			return n
		}
	}
	_ = json.Unmarshal(b, &n)
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
