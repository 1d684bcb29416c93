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

// ErrWithheld: the thing exists but an admin withholds it (a quarantined
// source's plugins). The HTTP port answers 451 with the reason.
var ErrWithheld = errors.New("withheld")

// FieldError is invalid input in one named field of a request. Field is
// the name on the wire (instance_url, sourceId, filters.tags, limit), so
// the HTTP port can answer {"error", "field"} and a program can point at
// the field without parsing the message.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// InField says which field err is about. Only invalid input gets a field
// (a conflict or a failed database is not one field's fault); nil stays
// nil, and an error that already names a field keeps it, because the code
// nearest the value knows it best (filters.tags inside filters).
func InField(field string, err error) error {
	var fe *FieldError
	if err == nil || !errors.Is(err, ErrInvalidInput) || errors.As(err, &fe) {
		return err
	}
	return &FieldError{Field: field, Err: err}
}
