// Package publisher is the node's HTTP client to plugin publishers: the
// outbound side of the wire protocol in docs/protocol.md (federation-info,
// verify-ownership, author-data).
//
// Publishers are URLs an admin typed, so every response is treated as hostile:
// each call has a deadline, bodies are capped, content types and JSON shapes
// are checked, redirects are limited, and by default no connection is made to
// a loopback, private, link-local or otherwise non-public address. That last
// rule is enforced when the socket is dialled, on the resolved IP, so neither
// a hostname that resolves to 127.0.0.1 nor a redirect to 169.254.169.254
// gets around it.
//
// Every error names the request (method and URL, password redacted) and why
// it failed, on one line, and wraps one of ErrUnreachable, ErrIncompatible,
// ErrForbiddenAddress or domain.ErrInvalidInput so callers can decide with
// errors.Is what to record against the source.
package publisher
