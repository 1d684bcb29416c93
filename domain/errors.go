package domain

import "errors"

// Sentinel errors shared by every layer. Adapters wrap them with %w; the HTTP
// port maps them to status codes in one place.
var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state (a duplicate, a
	// stale version, a transition the state does not allow).
	ErrConflict = errors.New("conflict")
	// ErrInvalidInput: the request itself is malformed.
	ErrInvalidInput = errors.New("invalid input")
)
