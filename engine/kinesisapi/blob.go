package kinesisapi

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// blob is a binary request member (Data). In JSON it is base64 text read as strictly as AWS reads it: a JSON
// string of a length that is a multiple of 4, only the base64 alphabet, padding only at the end, and no stray bits
// in the last character ("+/+=" is refused, not read as two bytes). A list of numbers is not a blob. In CBOR it is
// a byte string, as the CBOR library reads it.
type blob []byte

// strictBase64 refuses non-zero bits in the last character, which the standard decoding drops silently.
var strictBase64 = base64.StdEncoding.Strict()

func (b *blob) UnmarshalJSON(data []byte) error {
	if err := jsonKindError(data, "a Blob"); err != nil {
		return err
	}
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var s string // with JSON's escapes read ("\/" is "/"), as AWS's parser reads them before the base64
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if len(s)%4 != 0 {
		return blobError(s, "Base64 encoded length is expected a multiple of 4 bytes but found: "+strconv.Itoa(len(s)))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alphabet := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
		if !alphabet && !(c == '=' && strings.TrimLeft(s[i:], "=") == "") {
			return blobError(s, "Invalid Base64 character: '"+string(c)+"'")
		}
	}
	out := make([]byte, strictBase64.DecodedLen(len(s)))
	n, err := strictBase64.Decode(out, []byte(s))
	if err != nil {
		return blobError(s, "Invalid last non-pad Base64 character dectected") // sic: AWS's own spelling
	}
	*b = out[:n]
	return nil
}

func blobError(value, why string) error {
	return &apiError{code: "SerializationException", message: "'" + value + "' can not be converted to a Blob: " + why}
}

// jsonKindError is AWS's answer for a JSON value of the wrong kind where a scalar of type want ("a Blob") goes:
// nil for a string or null.
func jsonKindError(data []byte, want string) error {
	msg := ""
	switch {
	case len(data) == 0:
		return nil
	case data[0] == '"' || string(data) == "null":
		return nil
	case data[0] == '[':
		msg = "Start of list found where not expected"
	case data[0] == '{':
		msg = "Start of structure or map found where not expected."
	case string(data) == "true" || string(data) == "false":
		msg = "class java.lang.Boolean can not be converted to " + want
	default:
		msg = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to " + want
	}
	return &apiError{code: "SerializationException", message: msg}
}
