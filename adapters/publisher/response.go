package publisher

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSnippetBytes is how much of an error response's body goes into the
// error message: enough for "maintenance until 14:00", too little to flood a
// log or smuggle much through it.
const maxSnippetBytes = 120

// statusError reports a non-2xx response, with the start of its body.
func statusError(resp *http.Response) error {
	msg := "status " + strconv.Itoa(resp.StatusCode)
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxSnippetBytes+1))
	if s := snippet(head); s != "" {
		msg += ": body " + s
	}
	return fmt.Errorf("%s: %w", msg, ErrIncompatible)
}

// snippet quotes (so it stays on one line, with control characters escaped)
// at most maxSnippetBytes of b, marking a cut.
func snippet(b []byte) string {
	cut := len(b) > maxSnippetBytes
	if cut {
		b = b[:maxSnippetBytes]
	}
	s := strings.TrimSpace(string(b))
	if cut {
		// Drop a rune the cut split in two rather than show it as garbage.
		for len(s) > 0 {
			r, size := utf8.DecodeLastRuneInString(s)
			if r != utf8.RuneError || size != 1 {
				break
			}
			s = s[:len(s)-1]
		}
	}
	if s == "" {
		return ""
	}
	q := strconv.Quote(s)
	if cut {
		q += "…"
	}
	return q
}

// checkContentType refuses responses that say they are something other than
// JSON. The check is loose on purpose: any media type containing "json"
// passes (application/json, application/problem+json, text/json), and so do
// a missing type, text/plain and application/octet-stream, because static
// hosting often serves .json files that way; the body still has to parse as
// a JSON object, so nothing but JSON gets through. Everything else (text/html
// from a login page or a parked domain, images...) fails here with a clearer
// reason than a JSON syntax error would give.
func checkContentType(header string) error {
	if header == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(header)
	if err != nil {
		mediaType, _, _ = strings.Cut(strings.ToLower(header), ";")
		mediaType = strings.TrimSpace(mediaType)
	}
	switch {
	case strings.Contains(mediaType, "json"),
		mediaType == "text/plain",
		mediaType == "application/octet-stream":
		return nil
	}
	return fmt.Errorf("content type %s, want JSON: %w", strconv.Quote(shorten(header, 80)), ErrIncompatible)
}

// readBody reads at most c.maxBody bytes. A longer body is ErrIncompatible
// whatever it holds; a read that fails midway is returned as is for
// transportError to classify.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.maxBody {
		return nil, c.tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > c.maxBody {
		return nil, c.tooLarge()
	}
	return data, nil
}

func (c *Client) tooLarge() error {
	return fmt.Errorf("response larger than %d bytes: %w", c.maxBody, ErrIncompatible)
}
