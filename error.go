package snsos

import (
	"errors"
	"fmt"
)

// Error codes. They are deliberately few: each maps to one HTTP status and one
// kind of reaction in the caller.
const (
	ECONFLICT     = "conflict"     // the action conflicts with the current state (duplicate, wrong state)
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged, not shown
	EINVALID      = "invalid"      // the input is wrong; the message says how
	ENOTFOUND     = "not_found"    // the thing does not exist
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, action not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency is down or not ready; try again later
	ETOOLARGE     = "too_large"    // the input exceeds a size limit
	ERATELIMITED  = "rate_limited" // too many requests; try again later
)

// Error is an error whose message is safe to show to the operator. Code says
// what kind of failure it is; Message says it in words; Err, when set, is the
// underlying cause, which is logged but never shown.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements the error interface. It includes the cause, so it must
// only be logged; use ErrorMessage for text shown to users.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Code + ": " + e.Err.Error()
	default:
		return e.Message
	}
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code and message whose cause is err.
func WrapError(code string, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the operator-safe message of the first *Error in err's
// chain, or a generic message for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return err != nil && ErrorCode(err) == code }
