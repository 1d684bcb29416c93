package publisher

import "errors"

// The three ways a publisher call fails, besides a malformed argument
// (domain.ErrInvalidInput). They are kept apart because the node reacts
// differently: an unreachable publisher may come back, an incompatible one
// needs its operator, a forbidden address needs the node's admin.
var (
	// ErrUnreachable: connection refused, DNS failure, timeout, TLS failure,
	// connection cut while reading, or the caller's context ended.
	ErrUnreachable = errors.New("publisher unreachable")
	// ErrIncompatible: the publisher answered, but not per the protocol: bad
	// status, not JSON, missing required fields, body too large, too many or
	// malformed redirects.
	ErrIncompatible = errors.New("publisher is incompatible")
	// ErrForbiddenAddress: the connection would have gone to a non-public
	// address while private networks are not allowed.
	ErrForbiddenAddress = errors.New("address not allowed")
)
