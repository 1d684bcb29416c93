package publisher

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Validation is what a publisher's answer to a conditional HEAD says of a
// file's bytes, without the file.
type Validation struct {
	// NotModified: the publisher answered 304 to If-None-Match naming the
	// sha256 as entity tag, so its current file has that tag.
	NotModified bool
	// SHA256 is the sha256 the answer's headers name, lower-case hex:
	// X-Content-SHA256, else a strong ETag that is a quoted sha256. "" when
	// neither is usable (absent, weak, malformed, repeated).
	SHA256 string
}

// ContentSHA256Header is the header a publisher may send with a file (to a
// GET or a HEAD) naming its sha256 in hex.
const ContentSHA256Header = "X-Content-SHA256"

// Revalidate asks whether the file at rawURL is still the bytes of sha256,
// without downloading it: a HEAD with If-None-Match: "<sha256>", through the
// same guarded transport as every other call, within the call deadline. A
// publisher that does not answer HEAD (405, 501) gives no validator, which
// is not an error; any other non-2xx answer is ErrIncompatible.
func (c *Client) Revalidate(ctx context.Context, rawURL, sha256 string) (Validation, error) {
	fail := func(err error) (Validation, error) {
		return Validation{}, fmt.Errorf("HEAD %s: %w", shorten(rawURL, 200), err)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(fmt.Errorf("not an http(s) URL: %w", ErrIncompatible))
	}
	if !isSHA256Hex(sha256) {
		return fail(fmt.Errorf("sha256 %q is not 64 hex digits: %w", shorten(sha256, 80), domain.ErrInvalidInput))
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("If-None-Match", strconv.Quote(strings.ToLower(sha256)))
	resp, err := c.http.Do(req)
	if err != nil {
		return fail(c.transportError(ctx, u, err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Validation{NotModified: true}, nil
	case resp.StatusCode == http.StatusMethodNotAllowed, resp.StatusCode == http.StatusNotImplemented:
		return Validation{}, nil // no HEAD: the daily recheck downloads the file instead
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fail(statusError(resp))
	}
	return Validation{SHA256: ContentSHA256(resp.Header)}, nil
}

// ContentSHA256 is the sha256 a file answer's headers name, lower-case hex,
// or "": X-Content-SHA256 when it is one value of 64 hex digits, else the
// ETag when it is one strong entity tag whose value is 64 hex digits. Any
// other value (a weak or other tag, several values, garbage of any length)
// names nothing; nothing in it is echoed.
func ContentSHA256(h http.Header) string {
	if v := h.Values(ContentSHA256Header); len(v) == 1 {
		if s := strings.TrimSpace(v[0]); isSHA256Hex(s) {
			return strings.ToLower(s)
		}
	}
	if v := h.Values("ETag"); len(v) == 1 {
		s := strings.TrimSpace(v[0])
		if len(s) == 66 && s[0] == '"' && s[65] == '"' && isSHA256Hex(s[1:65]) {
			return strings.ToLower(s[1:65])
		}
	}
	return ""
}
