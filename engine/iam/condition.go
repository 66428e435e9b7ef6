package iam

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Condition is one test of a statement's Condition block: an operator applied to one context key and its values.
// A block's tests all have to hold (AND); a test holds when the key matches any of its values (OR), as IAM does.
type Condition struct {
	Operator string // as written, e.g. StringLike, IpAddressIfExists, ForAnyValue:StringEquals
	Key      string // e.g. aws:SourceIp
	Values   []string

	base     string // the operator without IfExists and the set qualifier
	ifExists bool
	set      string // "", "ForAnyValue" or "ForAllValues"
}

// operators are the condition operators Shardlab evaluates, each with whether it is a negation (true when the
// key is missing from the request) and how its values are checked at parse time.
var operators = map[string]struct {
	negated bool
	check   func(string) error
}{
	"StringEquals": {}, "StringNotEquals": {negated: true},
	"StringEqualsIgnoreCase": {}, "StringNotEqualsIgnoreCase": {negated: true},
	"StringLike": {}, "StringNotLike": {negated: true},
	"ArnEquals": {}, "ArnLike": {}, "ArnNotEquals": {negated: true}, "ArnNotLike": {negated: true},
	"NumericEquals": {check: checkNumber}, "NumericNotEquals": {negated: true, check: checkNumber},
	"NumericLessThan": {check: checkNumber}, "NumericLessThanEquals": {check: checkNumber},
	"NumericGreaterThan": {check: checkNumber}, "NumericGreaterThanEquals": {check: checkNumber},
	"DateEquals": {check: checkDate}, "DateNotEquals": {negated: true, check: checkDate},
	"DateLessThan": {check: checkDate}, "DateLessThanEquals": {check: checkDate},
	"DateGreaterThan": {check: checkDate}, "DateGreaterThanEquals": {check: checkDate},
	"Bool":      {check: checkBool},
	"IpAddress": {check: checkIP}, "NotIpAddress": {negated: true, check: checkIP},
	"Null": {check: checkBool},
}

func checkNumber(v string) error {
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	return nil
}

func checkDate(v string) error {
	if _, ok := parseDate(v); !ok {
		return fmt.Errorf("%q is not a date (ISO 8601, e.g. 2026-12-31T23:59:59Z, or epoch seconds)", v)
	}
	return nil
}

func checkBool(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("%q is not true or false", v)
	}
	return nil
}

func checkIP(v string) error {
	if _, err := parsePrefix(v); err != nil {
		return fmt.Errorf("%q is not an IP address or CIDR block", v)
	}
	return nil
}

// parseConditions reads a Condition block: {"Operator": {"key": value-or-values, …}, …}.
func parseConditions(b json.RawMessage) ([]Condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &block); err != nil {
		return nil, fmt.Errorf("the Condition must be {\"Operator\": {\"key\": value}}: %v", err)
	}
	var out []Condition
	for op, keys := range block {
		c := Condition{Operator: op, base: op}
		if set, rest, ok := strings.Cut(op, ":"); ok {
			if set != "ForAnyValue" && set != "ForAllValues" {
				return nil, fmt.Errorf("the condition operator %q: only ForAnyValue: and ForAllValues: qualify an operator", op)
			}
			c.set, c.base = set, rest
		}
		if b, ok := strings.CutSuffix(c.base, "IfExists"); ok && c.base != "Null" {
			c.base, c.ifExists = b, true
		}
		spec, known := operators[c.base]
		if !known {
			return nil, fmt.Errorf("the condition operator %q is not one IAM has (StringEquals, StringLike, ArnLike, IpAddress, Bool, DateLessThan, NumericEquals, Null…)", op)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("the condition operator %q names no key", op)
		}
		for key, raw := range keys {
			vals, err := conditionValues(raw)
			if err != nil {
				return nil, fmt.Errorf("the condition %s on %s: %v", op, key, err)
			}
			if spec.check != nil {
				for _, v := range vals {
					if !strings.Contains(v, "${") {
						if err := spec.check(v); err != nil {
							return nil, fmt.Errorf("the condition %s on %s: %v", op, key, err)
						}
					}
				}
			}
			cc := c
			cc.Key, cc.Values = key, vals
			out = append(out, cc)
		}
	}
	// Map order is random; a fixed order keeps evaluation and its explanation reproducible.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// conditionValues reads a condition's value: a string, number or bool, or a non-empty list of them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("give at least one value")
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, strconv.FormatBool(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("a value must be a string, number or boolean")
		}
	}
	return out, nil
}

// holds evaluates the condition against the request's context (values per key, keys case-insensitive).
func (c Condition) holds(ctx Context) bool {
	values, present := ctx.lookup(c.Key)
	if c.base == "Null" {
		// Null: true asks that the key be absent, false that it be present.
		return (c.Values[0] == "true") != present
	}
	if !present {
		return c.ifExists || (operators[c.base].negated && c.set == "") || c.set == "ForAllValues"
	}
	wanted := make([]string, len(c.Values))
	for i, v := range c.Values {
		wanted[i] = ctx.substitute(v)
	}
	negated := operators[c.base].negated
	matchOne := func(value string) bool {
		hit := false
		for _, w := range wanted {
			if compare(c.base, value, w) {
				hit = true
				break
			}
		}
		if negated {
			// A negated operator holds when the value matches none of the values (StringNotEquals a, b = neither).
			return !hit
		}
		return hit
	}
	switch c.set {
	case "ForAllValues":
		for _, v := range values {
			if !matchOne(v) {
				return false
			}
		}
		return true
	default: // ForAnyValue, and a single-valued key
		for _, v := range values {
			if matchOne(v) {
				return true
			}
		}
		return false
	}
}

// compare applies a (positive form of an) operator to one request value and one policy value.
func compare(op, value, want string) bool {
	switch op {
	case "StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals":
		return value == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(value, want)
	case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike":
		return matches(want, value, false)
	case "Bool":
		return strings.EqualFold(value, want)
	case "IpAddress", "NotIpAddress":
		p, err := parsePrefix(want)
		a, err2 := netip.ParseAddr(value)
		return err == nil && err2 == nil && p.Contains(a.Unmap())
	}
	if strings.HasPrefix(op, "Numeric") {
		a, err := strconv.ParseFloat(value, 64)
		b, err2 := strconv.ParseFloat(want, 64)
		return err == nil && err2 == nil && order(strings.TrimPrefix(op, "Numeric"), cmpFloat(a, b))
	}
	if strings.HasPrefix(op, "Date") {
		a, ok := parseDate(value)
		b, ok2 := parseDate(want)
		return ok && ok2 && order(strings.TrimPrefix(op, "Date"), a.Compare(b))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// order reads a comparison's name (Equals, NotEquals, LessThan, …) against the sign of value − policy value.
func order(name string, sign int) bool {
	switch name {
	case "Equals", "NotEquals":
		return sign == 0
	case "LessThan":
		return sign < 0
	case "LessThanEquals":
		return sign <= 0
	case "GreaterThan":
		return sign > 0
	case "GreaterThanEquals":
		return sign >= 0
	}
	return false
}

func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseDate reads the dates IAM accepts: ISO 8601 with or without time, or epoch seconds.
func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// Context is a request's condition keys and their values (most keys have one value; aws:TagKeys several).
type Context map[string][]string

// Set gives a key one value.
func (c Context) Set(key, value string) { c[strings.ToLower(key)] = []string{value} }

func (c Context) lookup(key string) ([]string, bool) {
	v, ok := c[strings.ToLower(key)]
	return v, ok && len(v) > 0
}

// substitute replaces policy variables (${aws:username}, ${aws:PrincipalAccount}…) with the request's values;
// a variable the request lacks stays as written, so it matches nothing. ${*}, ${?} and ${$} give the character
// (in a Like pattern * and ? then stay wildcards, where IAM matches them literally: a Shardlab simplification).
func (c Context) substitute(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			if v, ok := c.lookup(name); ok {
				b.WriteString(v[0])
			} else {
				b.WriteString(s[i : i+j+1])
			}
		}
		s = s[i+j+1:]
	}
}
