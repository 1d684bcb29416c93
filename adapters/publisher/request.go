package publisher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// errDeadline is the cause set on a call's own deadline, so that an expired
// Client timeout can be told from the caller's context ending.
var errDeadline = errors.New("publisher call deadline")

// call sends one request and returns the body of a 2xx JSON response. Its
// errors say why without naming the request: the exported method that knows
// the endpoint adds "METHOD URL: " in one place.
func (c *Client) call(ctx context.Context, method string, u *url.URL, reqBody []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errDeadline)
	defer cancel()

	var body io.Reader
	if reqBody != nil {
		body = bytes.NewReader(reqBody) // NewRequest sets GetBody, so 307/308 can resend it
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("cannot build request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		// The protocol's only POST, verify-ownership, only signs: it is safe
		// to send twice. Marked so (the nil value is not sent), the
		// transport resends it when a kept-alive connection turns out dead,
		// as it does after a publisher restarts on the same port, instead
		// of failing the proof with EOF.
		req.Header["Idempotency-Key"] = nil
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, u, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, statusError(resp)
	}
	if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	data, err := c.readBody(resp)
	if err != nil && !errors.Is(err, ErrIncompatible) {
		return nil, c.transportError(ctx, u, err)
	}
	return data, err
}

// transportError turns an error from sending the request or reading the
// response into one of the package's sentinels. The underlying error stays
// in the chain (errors.As reaches *net.OpError, x509 errors, context.Canceled)
// but *url.Error is unwrapped first: its text repeats the URL the caller's
// message already names.
func (c *Client) transportError(ctx context.Context, requested *url.URL, err error) error {
	var where string
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// After a redirect, the URL that failed is not the one requested;
		// say where the publisher sent us (Go has blanked any password).
		if ue.URL != requested.String() {
			where = "after redirect to " + shorten(ue.URL, 200) + ": "
		}
		err = ue.Err
	}
	if fe, ok := errors.AsType[*forbiddenAddressError](err); ok {
		return fmt.Errorf("%s%w: %w", where, fe, ErrForbiddenAddress)
	}
	if isRedirectError(err) {
		return fmt.Errorf("%s%w: %w", where, err, ErrIncompatible)
	}
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errDeadline) {
			return fmt.Errorf("%sno complete response within %s: %w", where, c.timeout, ErrUnreachable)
		}
		// The caller's context ended; keep its error visible to errors.Is.
		return fmt.Errorf("%s%w: %w", where, ctx.Err(), ErrUnreachable)
	}
	return fmt.Errorf("%s%w: %w", where, err, ErrUnreachable)
}
