package kinesisapi

import (
	"errors"
	"net/http"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
)

// apiError is a failure of the wire layer itself: a body that does not decode, an unknown action, an oversized
// request. Everything else comes from the engine as an *engine.Error.
type apiError struct {
	code, message string
	status        int
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// errorBody is what Kinesis sends with a failed call.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// describe turns any error into the status, Kinesis error name and message to send.
func describe(err error) (status int, code, message string) {
	var ae *apiError
	var ke *engine.Error
	var authErr *auth.Error
	switch {
	case errors.As(err, &authErr):
		return authErr.Status, authErr.Code, authErr.Message
	case errors.As(err, &ae):
		status = ae.status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return status, ae.code, ae.message
	case errors.As(err, &ke):
		return statusOf(ke.Code), ke.Code, ke.Message
	case errors.Is(err, engine.ErrClosed):
		return http.StatusServiceUnavailable, engine.ErrServiceUnavailable, "The server is shutting down."
	}
	return http.StatusInternalServerError, engine.ErrInternalFailure, "Internal service failure: " + err.Error()
}

func statusOf(code string) int {
	switch code {
	case engine.ErrInternalFailure:
		return http.StatusInternalServerError
	case engine.ErrServiceUnavailable:
		return http.StatusServiceUnavailable
	case engine.ErrAccessDenied:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}
