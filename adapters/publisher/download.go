package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// downloadTimeout bounds one plugin download. Downloads are larger than the
// JSON calls, so they get their own, longer deadline; the blob store caps
// their size while streaming, and a rateGuard cuts a transfer that crawls
// long before the deadline.
const downloadTimeout = 10 * time.Minute

// Download GETs a plugin file through the same guarded transport as every
// other call (private addresses refused at dial time, redirects checked)
// and returns its body for the caller to stream and close. A non-2xx answer
// is ErrIncompatible, a failure to connect ErrUnreachable. The body also
// has a ContentLength method: the length the publisher announced, -1 when
// it announced none (a chunked or compressed answer), so that the caller
// can budget for a file before reading it.
func (c *Client) Download(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GET %s: not an http(s) URL: %w", shorten(rawURL, 200), ErrIncompatible)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, downloadTimeout, errDeadline)
	guard, ctx := startRateGuard(ctx, c.minRate, c.rateWindow)
	fail := func(err error) (io.ReadCloser, error) {
		guard.halt()
		cancel()
		return nil, fmt.Errorf("GET %s: %w", shorten(rawURL, 200), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrTooSlow) {
			return fail(fmt.Errorf("%w: %w", cause, ErrUnreachable))
		}
		return fail(c.transportError(ctx, u, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return fail(statusError(resp))
	}
	guard.body = resp.Body
	return cancelOnClose{guard, cancel, resp.ContentLength}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
	length int64
}

// ContentLength is the body's announced length, or -1. The transport reads
// no more than announced and reports a shorter body as
// io.ErrUnexpectedEOF; a caller that reserves the length still counts what
// it reads.
func (c cancelOnClose) ContentLength() int64 { return c.length }

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
