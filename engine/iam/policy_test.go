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
		"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\",, } ]\n}":                                                                   "line 3, column",
		`{"Version":"2012-10-17","Statement":[]}`:                                                                                                                 "non-empty list",
		`{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"kinesis:*","Resource":"*"}}`:                                                             `Effect "Maybe"`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"PutRecord","Resource":"*"}}`:                                                             "service:Action",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*"}}`:                                                                            "Resource or NotResource",
		`{"Version":"2012-10-17","Statment":{}}`:                                                                                                                  "unknown field",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"Boolean":{"aws:SecureTransport":"true"}}}}`:      `operator "Boolean"`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300/8"}}}}`:   "not an IP address",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`: "not a date",
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

// TestConditions follows the examples of AWS's condition operator documentation: values of one key are ORed,
// keys and operators are ANDed, a missing key fails a positive operator and passes a negated one, IfExists passes
// a missing key, and policy variables stand for the request's values.
func TestConditions(t *testing.T) {
	at := func(pairs ...string) Context {
		c := Context{}
		for i := 0; i < len(pairs); i += 2 {
			c.Set(pairs[i], pairs[i+1])
		}
		return c
	}
	for _, c := range []struct {
		name      string
		condition string
		ctx       Context
		resource  string
		allowed   bool
	}{
		{"TLS required, over TLS", `{"Bool":{"aws:SecureTransport":"true"}}`, at("aws:SecureTransport", "true"), stream, true},
		{"TLS required, plain HTTP", `{"Bool":{"aws:SecureTransport":"true"}}`, at("aws:SecureTransport", "false"), stream, false},
		{"source IP in a CIDR", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","10.0.0.0/8"]}}`, at("aws:SourceIp", "10.1.2.3"), stream, true},
		{"source IP outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, at("aws:SourceIp", "127.0.0.1"), stream, false},
		{"IPv6 source", `{"IpAddress":{"aws:SourceIp":"::1"}}`, at("aws:SourceIp", "::1"), stream, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, at("aws:SourceIp", "127.0.0.1"), stream, false},
		{"before a date", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, at("aws:CurrentTime", "2026-12-08T10:00:00Z"), stream, true},
		{"after the date", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, at("aws:CurrentTime", "2026-12-08T10:00:00Z"), stream, false},
		{"a window: both operators hold", `{"DateGreaterThan":{"aws:CurrentTime":"2026-12-01"},"DateLessThan":{"aws:CurrentTime":"2026-12-31"}}`, at("aws:CurrentTime", "2026-12-08T10:00:00Z"), stream, true},
		{"epoch seconds", `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`, at("aws:EpochTime", "1765000000"), stream, true},
		{"StringEquals, one of the values", `{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, at("aws:RequestedRegion", "us-east-1"), stream, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:RequestedRegion":"US-EAST-1"}}`, at("aws:RequestedRegion", "us-east-1"), stream, false},
		{"condition keys are not", `{"StringEquals":{"AWS:REQUESTEDREGION":"us-east-1"}}`, at("aws:RequestedRegion", "us-east-1"), stream, true},
		{"StringLike", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}`, at("aws:PrincipalArn", user), stream, true},
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`, at("aws:PrincipalArn", user), stream, true},
		{"missing key fails a positive operator", `{"StringEquals":{"aws:ResourceTag/team":"data"}}`, at(), stream, false},
		{"missing key passes a negated one", `{"StringNotEquals":{"aws:ResourceTag/team":"data"}}`, at(), stream, true},
		{"IfExists passes a missing key", `{"StringEqualsIfExists":{"aws:ResourceTag/team":"data"}}`, at(), stream, true},
		{"IfExists still checks a present key", `{"StringEqualsIfExists":{"aws:ResourceTag/team":"data"}}`, at("aws:ResourceTag/team", "web"), stream, false},
		{"Null true: key absent", `{"Null":{"aws:ResourceTag/team":"true"}}`, at(), stream, true},
		{"Null false: key present", `{"Null":{"aws:ResourceTag/team":"false"}}`, at(), stream, false},
		{"NumericLessThan", `{"NumericLessThan":{"kinesis:ShardCount":10}}`, at("kinesis:ShardCount", "4"), stream, true},
		{"a policy variable in the resource", ``, at("aws:username", "alice"), "arn:aws:kinesis:us-east-1:111122223333:stream/alice-events", true},
		{"a policy variable for another user", ``, at("aws:username", "bob"), "arn:aws:kinesis:us-east-1:111122223333:stream/alice-events", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":` + c.condition + `}}`
			if c.condition == "" {
				doc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}-*"}}`
			}
			p := mustParse(t, doc, false)
			d := Evaluate(Request{Principal: user, Account: "111122223333", Action: "kinesis:PutRecord", Resource: c.resource, Context: c.ctx},
				[]Source{{Name: "identity", Policy: p}})
			if d.Allowed != c.allowed {
				t.Errorf("allowed %v, want %v (%+v)", d.Allowed, c.allowed, d)
			}
		})
	}
}

// TestAccountPrincipalDelegates is IAM's rule for a resource policy naming the account: it does not grant a user
// anything alone (the user's own policies must allow), but its Deny applies to every principal of the account.
func TestAccountPrincipalDelegates(t *testing.T) {
	allowAccount := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kinesis:*","Resource":"*"}}`, true)
	denyAccount := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kinesis:DeleteStream","Resource":"*"}}`, true)
	req := Request{Principal: user, Account: "111122223333", Action: "kinesis:PutRecord", Resource: stream}
	if d := Evaluate(req, []Source{{Name: "r", Policy: allowAccount, Resource: true}}); d.Allowed {
		t.Errorf("the account's principal alone allowed a user: %+v", d)
	}
	req.Action = "kinesis:DeleteStream"
	if d := Evaluate(req, []Source{{Name: "r", Policy: denyAccount, Resource: true}}); !d.Explicit {
		t.Errorf("the account's deny did not apply to its user: %+v", d)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}}`, true)
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["1","2"]},"NotAction":"a:b","NotResource":["x*"]}]}`, true)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:${aws:username}","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]},"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}}`, false)
	f.Fuzz(func(t *testing.T, doc string, resource bool) {
		p, err := ParsePolicy(doc, resource)
		if err != nil {
			return
		}
		// Whatever parses evaluates without panicking, and a deny never comes out allowed.
		ctx := Context{}
		ctx.Set("aws:SourceIp", "10.1.1.1")
		ctx.Set("aws:username", "alice")
		d := Evaluate(Request{Principal: user, Account: "111122223333", Action: "kinesis:PutRecord", Resource: stream, Context: ctx},
			[]Source{{Name: "p", Policy: p, Resource: resource}})
		if d.Explicit && d.Allowed {
			t.Fatalf("explicit and allowed: %+v", d)
		}
	})
}
