package cloudwatchapi

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a CloudWatch error. Code is the name the Query protocol sends and the SDKs report (InvalidParameterValue,
// MissingParameter, …); JSON and CBOR answers carry the model's shape name in __type and Code in the
// x-amzn-query-error header, which is how the SDKs of a query-compatible service know it. Status 0 means the code's
// usual status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// CloudWatch's error codes, as the Query protocol names them.
const (
	CodeInvalidParameterValue       = "InvalidParameterValue"
	CodeInvalidParameterCombination = "InvalidParameterCombination"
	CodeMissingParameter            = "MissingParameter"
	CodeResourceNotFound            = "ResourceNotFound"
	CodeLimitExceeded               = "LimitExceeded"
	CodeInvalidNextToken            = "InvalidNextToken"
	CodeInvalidFormat               = "InvalidFormat"
	CodeInternalServiceError        = "InternalServiceError"
	CodeInvalidAction               = "InvalidAction"
	CodeRequestEntityTooLarge       = "RequestEntityTooLarge"
)

// errorShapes maps a Query code to the model's error shape (the JSON and CBOR __type) and its status, from the
// CloudWatch model's awsQueryError traits.
var errorShapes = map[string]struct {
	shape  string
	status int
}{
	CodeInvalidParameterValue:       {"InvalidParameterValueException", 400},
	CodeInvalidParameterCombination: {"InvalidParameterCombinationException", 400},
	CodeMissingParameter:            {"MissingRequiredParameterException", 400},
	CodeResourceNotFound:            {"ResourceNotFound", 404},
	CodeLimitExceeded:               {"LimitExceededFault", 400},
	CodeInvalidNextToken:            {"InvalidNextToken", 400},
	CodeInvalidFormat:               {"InvalidFormatFault", 400},
	CodeInternalServiceError:        {"InternalServiceFault", 500},
	CodeInvalidAction:               {"UnknownOperationException", 400},
	CodeRequestEntityTooLarge:       {"RequestEntityTooLarge", 413},
}

// InvalidParameterValue words a bad value: "The parameter Period must be a multiple of 60." and the like.
func InvalidParameterValue(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf(format, args...)}
}

// InvalidParameterCombination words members that cannot go together, or one of several that must be given.
func InvalidParameterCombination(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameterCombination, Message: fmt.Sprintf(format, args...)}
}

// MissingParameter is CloudWatch's answer to a required member left out.
func MissingParameter(member string) *Error {
	return &Error{Code: CodeMissingParameter, Message: "The parameter " + member + " is required."}
}

// ResourceNotFound words an alarm (or other resource) that does not exist.
func ResourceNotFound(format string, args ...any) *Error {
	return &Error{Code: CodeResourceNotFound, Message: fmt.Sprintf(format, args...)}
}

// LimitExceeded words a quota reached (alarms per account, …).
func LimitExceeded(format string, args ...any) *Error {
	return &Error{Code: CodeLimitExceeded, Message: fmt.Sprintf(format, args...)}
}

// InvalidNextToken is the answer to a paging token this server did not hand out.
func InvalidNextToken() *Error {
	return &Error{Code: CodeInvalidNextToken, Message: "The service couldn't process the NextToken. Check the token and try again."}
}

// InvalidFormat words a member whose text is not in its format (SetAlarmState's StateReasonData must be JSON).
func InvalidFormat(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidFormat, Message: fmt.Sprintf(format, args...)}
}

// status is the HTTP status to send with e.
func (e *Error) status() int {
	if e.Status != 0 {
		return e.Status
	}
	if s, ok := errorShapes[e.Code]; ok {
		return s.status
	}
	return http.StatusBadRequest
}

// shape is the JSON and CBOR __type of e, namespaced as CloudWatch's model names it.
func (e *Error) shape() string {
	name := e.Code
	if s, ok := errorShapes[e.Code]; ok {
		name = s.shape
	}
	return "com.amazonaws.cloudwatch#" + name
}

// fault is the second half of x-amzn-query-error: who is to blame.
func (e *Error) fault() string {
	if e.status() >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// messageMember is the member the error shape keeps its message in: InternalServiceFault alone says "Message".
func (e *Error) messageMember() string {
	if e.Code == CodeInternalServiceError {
		return "Message"
	}
	return "message"
}

// asError turns whatever the Backend returned into a CloudWatch error.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternalServiceError, Message: "Internal service failure: " + err.Error(), Status: 500}
}
