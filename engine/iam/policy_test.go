package iam

import (
	"errors"
	"strings"
	"testing"
)

const (
	user   = "arn:aws:iam::111122223333:user/alice"
	stream = "arn:aws:kinesis:us-east-1:111122223333:stream/orders"
)

func mustParse(t *testing.T, doc string, resource bool) *Policy {
	t.Helper()
	p, err := ParsePolicy(doc, resource)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEvaluationLogic follows the cases of AWS's policy evaluation logic documentation: an explicit deny wins over
// any allow, an allow in either an identity or a resource policy allows, nothing that applies is an implicit deny,
// and wildcards and NotAction/NotResource match as IAM matches them.
func TestEvaluationLogic(t *testing.T) {
	putOnly := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kinesis:PutRecord","kinesis:PutRecords"],"Resource":"arn:aws:kinesis:*:111122223333:stream/*"}}`, false)
	allKinesis := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"all","Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}`, false)
	notDelete := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"kinesis:Delete*","Resource":"*"}]}`, false)
	denyOrders := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"no-writes","Effect":"Deny","Principal":"*","Action":"kinesis:Put*","Resource":"`+stream+`"}]}`, true)
	resourceAllow := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+user+`"},"Action":"kinesis:GetRecords","Resource":"`+stream+`"}]}`, true)
	notOther := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:DescribeStream","NotResource":"arn:aws:kinesis:*:*:stream/secret-*"}]}`, false)
	ident := func(p *Policy) Source { return Source{Name: "identity", Policy: p} }
	res := func(p *Policy) Source { return Source{Name: "resource", Policy: p, Resource: true} }
	for _, c := range []struct {
		name     string
		action   string
		resource string
		root     bool
		sources  []Source
		allowed  bool
		explicit bool
		says     string
	}{
		{"no policy: implicit deny", "kinesis:PutRecord", stream, false, nil, false, false, "because no identity-based policy allows the kinesis:PutRecord action"},
		{"an identity allow", "kinesis:PutRecord", stream, false, []Source{ident(putOnly)}, true, false, ""},
		{"allowed actions only", "kinesis:DeleteStream", stream, false, []Source{ident(putOnly)}, false, false, "not authorized to perform: kinesis:DeleteStream"},
		{"service wildcard", "kinesis:DeleteStream", stream, false, []Source{ident(allKinesis)}, true, false, ""},
		{"action case does not matter", "kinesis:putrecord", stream, false, []Source{ident(putOnly)}, true, false, ""},
		{"NotAction", "kinesis:DeleteStream", stream, false, []Source{ident(notDelete)}, false, false, ""},
		{"NotAction lets the rest", "kinesis:ListShards", stream, false, []Source{ident(notDelete)}, true, false, ""},
		{"explicit deny in the resource policy wins", "kinesis:PutRecord", stream, false, []Source{ident(allKinesis), res(denyOrders)}, false, true, "with an explicit deny in a resource-based policy"},
		{"deny wins over root too", "kinesis:PutRecord", stream, true, []Source{res(denyOrders)}, false, true, ""},
		{"root otherwise may", "kinesis:DeleteStream", stream, true, nil, true, false, ""},
		{"a resource policy naming the user allows", "kinesis:GetRecords", stream, false, []Source{res(resourceAllow)}, true, false, ""},
		{"NotResource", "kinesis:DescribeStream", "arn:aws:kinesis:us-east-1:111122223333:stream/secret-x", false, []Source{ident(notOther)}, false, false, ""},
		{"NotResource lets the rest", "kinesis:DescribeStream", stream, false, []Source{ident(notOther)}, true, false, ""},
		{"resource wildcards span slashes", "kinesis:PutRecord", "arn:aws:kinesis:eu-west-1:111122223333:stream/a/b", false, []Source{ident(putOnly)}, true, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Evaluate(Request{Principal: user, Account: "111122223333", Root: c.root, Action: c.action, Resource: c.resource}, c.sources)
			if d.Allowed != c.allowed || d.Explicit != c.explicit || !strings.Contains(d.Message, c.says) {
				t.Errorf("%+v; want allowed %v, explicit %v, saying %q", d, c.allowed, c.explicit, c.says)
			}
		})
	}
}

func TestMalformedPoliciesSayWhere(t *testing.T) {
	for doc, says := range map[string]string{
		"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\",, } ]\n}":                                                           "line 3, column",
		`{"Version":"2012-10-17","Statement":[]}`:                                                                                                         "non-empty list",
		`{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"kinesis:*","Resource":"*"}}`:                                                     `Effect "Maybe"`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"PutRecord","Resource":"*"}}`:                                                     "service:Action",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*"}}`:                                                                    "Resource or NotResource",
		`{"Version":"2012-10-17","Statment":{}}`:                                                                                                          "unknown field",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`: "Condition",
	} {
		_, err := ParsePolicy(doc, false)
		var me *MalformedPolicyError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), says) {
			t.Errorf("%s\n  got %v, want it to say %q", doc, err, says)
		}
	}
	if _, err := ParsePolicy(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}}`, true); err == nil {
		t.Error("a resource policy without a Principal was accepted")
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}}`, true)
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["1","2"]},"NotAction":"a:b","NotResource":["x*"]}]}`, true)
	f.Fuzz(func(t *testing.T, doc string, resource bool) {
		p, err := ParsePolicy(doc, resource)
		if err != nil {
			return
		}
		// Whatever parses evaluates without panicking, and a deny never comes out allowed.
		d := Evaluate(Request{Principal: user, Account: "111122223333", Action: "kinesis:PutRecord", Resource: stream},
			[]Source{{Name: "p", Policy: p, Resource: resource}})
		if d.Explicit && d.Allowed {
			t.Fatalf("explicit and allowed: %+v", d)
		}
	})
}
