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

// Access errors.
var (
	// ErrUnauthenticated: no credentials, or credentials that are not valid.
	ErrUnauthenticated = errors.New("missing or invalid API key")
	// ErrForbidden: valid credentials that may not do this.
	ErrForbidden = errors.New("this API key may not do that")
)

// ErrPublisher: a publisher could not be reached or answered something
// unusable. The HTTP port answers 502.
var ErrPublisher = errors.New("publisher failed")

// ErrGone: the thing existed and was removed on purpose (a pruned plugin
// version). The HTTP port answers 410 with the reason.
var ErrGone = errors.New("gone")
