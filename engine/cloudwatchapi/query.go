package cloudwatchapi

import (
	"bytes"
	"encoding/xml"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The AWS Query protocol: a form-encoded POST (Action=ListMetrics&Version=2010-08-01&Namespace=…) in, XML out.

const (
	apiVersion = "2010-08-01"
	xmlNS      = "http://monitoring.amazonaws.com/doc/2010-08-01/"
	maxDepth   = 24 // the deepest input member is MetricDataQueries.member.N.MetricStat.Metric.Dimensions.member.N.Value
)

// formTree turns a form's dotted names into the tree bind reads: "A.member.1.B=x" becomes
// {"A": {"member": {"1": {"B": "x"}}}}. Action and Version are the envelope, not members.
func formTree(form url.Values) (map[string]any, error) {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys) // "A" before "A.B": the same error whatever the map's order
	for _, k := range keys {
		if k == "Action" || k == "Version" {
			continue
		}
		parts := strings.Split(k, ".")
		if len(parts) > maxDepth {
			return nil, InvalidParameterValue("The parameter %.80s is nested deeper than any CloudWatch member.", k)
		}
		node := root
		for i, part := range parts {
			if part == "" {
				return nil, InvalidParameterValue("The parameter name %q has an empty part.", k)
			}
			if i == len(parts)-1 {
				if _, dup := node[part]; dup {
					return nil, InvalidParameterValue("The parameter %s is given both as a value and as a structure.", k)
				}
				node[part] = form.Get(k)
				break
			}
			switch next := node[part].(type) {
			case nil:
				m := map[string]any{}
				node[part] = m
				node = m
			case map[string]any:
				node = next
			default:
				return nil, InvalidParameterValue("The parameter %s is given both as a value and as a structure.",
					strings.Join(parts[:i+1], "."))
			}
		}
	}
	return root, nil
}

// writeXMLResponse renders <OpResponse><OpResult>…</OpResult><ResponseMetadata>…, leaving the Result out for
// actions that answer nothing, as CloudWatch does.
func writeXMLResponse(op string, out any, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<" + op + `Response xmlns="` + xmlNS + `">`)
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.NumField() > 0 {
		b.WriteString("<" + op + "Result>")
		xmlFields(&b, v)
		b.WriteString("</" + op + "Result>")
	}
	b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	b.WriteString("</" + op + "Response>")
	return b.Bytes()
}

// writeXMLError renders Query's ErrorResponse.
func writeXMLError(e *Error, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<ErrorResponse xmlns="` + xmlNS + `"><Error><Type>` + e.fault() + "</Type><Code>")
	xml.EscapeText(&b, []byte(e.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	return b.Bytes()
}

func xmlFields(b *bytes.Buffer, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		fv := v.Field(i)
		if !emitted(fv) {
			continue
		}
		name := t.Field(i).Name
		b.WriteString("<" + name + ">")
		xmlValue(b, fv)
		b.WriteString("</" + name + ">")
	}
}

func xmlValue(b *bytes.Buffer, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Type() == timeType {
		b.WriteString(v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		xmlFields(b, v)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			b.WriteString("<member>")
			xmlValue(b, v.Index(i))
			b.WriteString("</member>")
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			b.WriteString("<entry><key>")
			xml.EscapeText(b, []byte(k.String()))
			b.WriteString("</key><value>")
			xmlValue(b, v.MapIndex(k))
			b.WriteString("</value></entry>")
		}
	case reflect.String:
		xml.EscapeText(b, []byte(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		b.WriteString(formatDouble(v.Float()))
	}
}

// formatDouble spells a double as the SDKs' parsers read it, non-finite values as NaN, Infinity, -Infinity.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// emitted decides whether an answer carries a member: absent pointers, empty strings, zero numbers and zero times
// are left out; lists always come (an empty one as an empty list, as CloudWatch sends Metrics: [] rather than
// nothing), and so do booleans.
func emitted(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map:
		return !v.IsNil()
	case reflect.String:
		return v.Len() > 0
	case reflect.Int32, reflect.Int64:
		return v.Int() != 0
	case reflect.Float64:
		return v.Float() != 0
	case reflect.Struct:
		if v.Type() == timeType {
			return !v.Interface().(time.Time).IsZero()
		}
	}
	return true
}
