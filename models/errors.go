package models

import "errors"

// Errors the store returns for the API to map to statuses in one place.
var (
	// ErrNotFound: no such record, or not one the caller may know of.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record exists already or changed under the caller.
	ErrConflict = errors.New("conflict")
	// ErrTokenInvalid: a single-use link is unknown, used or expired.
	ErrTokenInvalid = errors.New("the link is invalid, used or expired")
)
