package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Kinesis error names. An *Error's Code is always one of these, so the wire layer sends it as the __type unchanged.
const (
	ErrResourceNotFound   = "ResourceNotFoundException"
	ErrResourceInUse      = "ResourceInUseException"
	ErrInvalidArgument    = "InvalidArgumentException"
	ErrLimitExceeded      = "LimitExceededException"
	ErrThroughputExceeded = "ProvisionedThroughputExceededException"
	ErrExpiredIterator    = "ExpiredIteratorException"
	ErrExpiredNextToken   = "ExpiredNextTokenException"
	ErrValidation         = "ValidationException"
	ErrInternalFailure    = "InternalFailure"
	ErrServiceUnavailable = "ServiceUnavailable"
	ErrAccessDenied       = "AccessDeniedException"
)

// Error is a failure a Kinesis client would see: Code is the Kinesis error name, Message the text AWS would send.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is lets errors.Is(err, &Error{Code: X}) match any error with that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// ErrorCode returns the Kinesis error name carried by err, or "" when err is not a Kinesis error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// validation collects constraint failures in AWS's wording ("Value 'x' at 'records.1.member.partitionKey' failed to
// satisfy constraint: …") and turns them into one ValidationException, as AWS reports up to ten at once.
type validation struct {
	msgs []string
}

const maxValidationErrors = 10

func (v *validation) fail(value, path, constraint string) {
	if len(v.msgs) >= maxValidationErrors {
		return
	}
	if value != "null" {
		value = "'" + value + "'"
	}
	v.msgs = append(v.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

func (v *validation) notNull(present bool, path string) bool {
	if !present {
		v.fail("null", path, "Member must not be null")
	}
	return present
}

func (v *validation) lenRange(value string, n, min, max int, path string) {
	if n < min {
		v.fail(value, path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if n > max {
		v.fail(value, path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v *validation) intRange(value int64, min, max int64, path string) {
	if value < min {
		v.fail(fmt.Sprint(value), path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if value > max {
		v.fail(fmt.Sprint(value), path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

func (v *validation) pattern(value string, ok bool, pattern, path string) {
	if !ok {
		v.fail(value, path, "Member must satisfy regular expression pattern: "+pattern)
	}
}

func (v *validation) enum(value string, allowed []string, path string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.fail(value, path, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (v *validation) err() error {
	if len(v.msgs) == 0 {
		return nil
	}
	plural := ""
	if len(v.msgs) > 1 {
		plural = "s"
	}
	return &Error{Code: ErrValidation,
		Message: fmt.Sprintf("%d validation error%s detected: %s", len(v.msgs), plural, strings.Join(v.msgs, "; "))}
}

// blobValue is how AWS prints a binary value in a validation message.
func blobValue(n int) string {
	return fmt.Sprintf("java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]", n, n)
}
