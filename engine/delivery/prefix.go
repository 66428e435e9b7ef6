package delivery

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/internal/randid"
)

// Object keys as Firehose writes them: a prefix (by default the arrival hour, YYYY/MM/DD/HH/, in UTC), then
// name-1-YYYY-MM-DD-HH-MM-SS-uuid, with .gz when compressed. Prefixes may use the !{timestamp:pattern} namespace
// (a Java DateTimeFormatter pattern, as in Firehose: yyyy, yy, MM, dd, HH, mm, ss), !{partitionKeyFromQuery:name}
// (a partition step's key) and, in error prefixes, !{firehose:error-output-type}.

var namespaceRef = regexp.MustCompile(`!\{([a-zA-Z]+):([^}]*)\}`)

// checkPrefix refuses an unknown namespace, a timestamp pattern with letters it does not know, and a partition key
// no partition step defines.
func checkPrefix(prefix string, keys map[string]bool) error {
	for _, m := range namespaceRef.FindAllStringSubmatch(prefix, -1) {
		switch m[1] {
		case "timestamp":
			if _, err := javaTimeLayout(m[2]); err != nil {
				return err
			}
		case "partitionKeyFromQuery":
			if !keys[m[2]] {
				return fmt.Errorf("!{partitionKeyFromQuery:%s} names no key of a partition step", m[2])
			}
		case "firehose":
			if m[2] != "error-output-type" {
				return fmt.Errorf("!{firehose:%s}: only error-output-type is known", m[2])
			}
		default:
			return fmt.Errorf("!{%s:…} is not a known namespace (timestamp, partitionKeyFromQuery, firehose)", m[1])
		}
	}
	rest := namespaceRef.ReplaceAllString(prefix, "")
	if strings.Contains(rest, "!{") {
		return fmt.Errorf("%q has an unterminated !{…}", prefix)
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == ".." {
			return fmt.Errorf("%q climbs out of the destination with \"..\"", prefix)
		}
	}
	return nil
}

// renderPrefix fills a prefix's namespaces for a record that arrived at ts with the given partition keys. The
// prefix is parsed once (a flush renders it for every record).
func renderPrefix(prefix string, ts time.Time, keys map[string]string, errorType string) string {
	if prefix == "" {
		prefix = defaultObjectPattern
	}
	t, ok := templates.Load(prefix)
	if !ok {
		t, _ = templates.LoadOrStore(prefix, parsePrefix(prefix))
	}
	var b strings.Builder
	for _, part := range t.([]prefixPart) {
		switch part.namespace {
		case "":
			b.WriteString(part.text)
		case "timestamp":
			b.WriteString(ts.UTC().Format(part.text))
		case "partitionKeyFromQuery":
			b.WriteString(keys[part.text])
		case "firehose":
			b.WriteString(errorType)
		}
	}
	return b.String()
}

// prefixPart is literal text (no namespace), or a namespace with its argument (a Go layout for timestamp).
type prefixPart struct{ namespace, text string }

var templates sync.Map // prefix → []prefixPart

func parsePrefix(prefix string) []prefixPart {
	var parts []prefixPart
	last := 0
	for _, m := range namespaceRef.FindAllStringSubmatchIndex(prefix, -1) {
		if m[0] > last {
			parts = append(parts, prefixPart{text: prefix[last:m[0]]})
		}
		ns, arg := prefix[m[2]:m[3]], prefix[m[4]:m[5]]
		if ns == "timestamp" {
			arg, _ = javaTimeLayout(arg) // checked by Validate
		}
		parts = append(parts, prefixPart{namespace: ns, text: arg})
		last = m[1]
	}
	if last < len(prefix) {
		parts = append(parts, prefixPart{text: prefix[last:]})
	}
	return parts
}

// javaTimeLayout turns the DateTimeFormatter letters Firehose prefixes use into a Go layout.
func javaTimeLayout(pattern string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		run := 1
		for i+run < len(pattern) && pattern[i+run] == pattern[i] {
			run++
		}
		tok := pattern[i : i+run]
		switch tok {
		case "yyyy":
			b.WriteString("2006")
		case "yy":
			b.WriteString("06")
		case "MM":
			b.WriteString("01")
		case "dd":
			b.WriteString("02")
		case "HH":
			b.WriteString("15")
		case "mm":
			b.WriteString("04")
		case "ss":
			b.WriteString("05")
		default:
			if c := pattern[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return "", fmt.Errorf("!{timestamp:%s}: %q is not one of yyyy, yy, MM, dd, HH, mm, ss", pattern, tok)
			}
			b.WriteString(tok)
		}
		i += run
	}
	return b.String(), nil
}

// objectName is the file name of one object: name-1-YYYY-MM-DD-HH-MM-SS-uuid.
func objectName(delivery string, at time.Time, ext string) string {
	return fmt.Sprintf("%s-1-%s-%s%s", delivery, at.UTC().Format("2006-01-02-15-04-05"), randid.UUID(), ext)
}
