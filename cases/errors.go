package cases

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// Kind says what sort of failure an Error is; each adapter maps a kind to
// its own rendering (a status code, a message beside a field).
type Kind int

// The kinds of failure a use case reports.
const (
	// Invalid: the input breaks a rule; Fields names the fields.
	Invalid Kind = iota + 1
	// Malformed: the input cannot be read at all (not JSON, a bad id).
	Malformed
	// Unauthenticated: no valid session.
	Unauthenticated
	// Forbidden: the caller may see the thing but not do this to it.
	Forbidden
	// NotFound: it does not exist or the caller may not know it does.
	NotFound
	// Conflict: the state does not allow it now (another action won).
	Conflict
	// Gone: a link or token that is used, expired or unknown.
	Gone
	// TooLarge: a body or file over its limit.
	TooLarge
	// TooMany: a limit on attempts; RetryAfter says when to try again.
	TooMany
	// Unavailable: a dependency is down; trying later may succeed.
	Unavailable
	// Unsupported: content of a type not accepted (a file's).
	Unsupported
)

// HTTPStatus is the status both HTTP adapters, the JSON API and the
// pages, answer a failure of this kind with; 500 for a kind this build
// does not know.
func (k Kind) HTTPStatus() int {
	switch k {
	case Invalid:
		return http.StatusUnprocessableEntity
	case Malformed:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Gone:
		return http.StatusGone
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case TooMany:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	case Unsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// FieldError names one field of the input that failed validation, in the
// spelling the caller used (the JSON name, which is also the form field's).
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Param string `json:"param,omitempty"`
}

// Error is a use case's failure as its caller should be told it.
type Error struct {
	Kind Kind
	// Code is for programs ("validation_failed", "invalid_state", ...).
	Code string
	// Message is for people, in English; pages translate by Code.
	Message string
	// Fields are the invalid fields of an Invalid error.
	Fields []FieldError
	// Details is anything else the caller needs (allowed states, ...).
	Details any
	// RetryAfter is set on TooMany and Unavailable.
	RetryAfter time.Duration
	// Err is the cause, for the log; never shown to the caller.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err's *Error, or nil when err is not one (an internal
// failure, which adapters log and answer as such). A database out of reach
// is Unavailable, whichever use case met it: the caller may try again.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if models.Unreachable(err) {
		return &Error{Kind: Unavailable, Code: "unavailable", RetryAfter: 5 * time.Second, Err: err,
			Message: "the database cannot be reached just now; try again in a moment"}
	}
	return nil
}

// InvalidFields is the error of input whose fields break their rules.
func InvalidFields(fields ...FieldError) *Error {
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Field)
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Fields: fields,
		Message: "these fields are missing or invalid: " + strings.Join(names, ", ")}
}

// NotFoundError hides what the caller may not know exists.
func NotFoundError(what string) *Error {
	return &Error{Kind: NotFound, Code: "not_found", Message: what + " does not exist or is not visible to you"}
}

// ForbiddenError refuses an action on something the caller may see.
func ForbiddenError(what string) *Error {
	return &Error{Kind: Forbidden, Code: "forbidden", Message: "your roles do not allow this action on " + what}
}

// ConflictError refuses what the current state does not allow.
func ConflictError(code, format string, args ...any) *Error {
	return &Error{Kind: Conflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Deny turns a policy decision other than Allow into its error, or nil.
func Deny(d policy.Decision, what string) error {
	switch d {
	case policy.Allow:
		return nil
	case policy.NotFound:
		return NotFoundError(what)
	default:
		return ForbiddenError(what)
	}
}
