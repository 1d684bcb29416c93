package publisher

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pfn-network/pfn/domain"
)

const maxInstanceURLLength = 2048

// endpointURL checks instanceURL and returns the URL of endpoint under it.
// instanceURL may end in a slash and may carry a path prefix
// (https://host/pfn/); either way exactly one slash separates it from
// endpoint. It is checked by domain.NormalizeInstanceURL, the rule
// registration applies (one host rule, no user info that would end up in
// logs, no query the endpoint would clobber, no dot segments that move the
// request elsewhere), so nothing the domain refuses sneaks in through
// another caller; the URL is then used as written.
func endpointURL(instanceURL, endpoint string) (*url.URL, error) {
	// Until it parses, the URL is not echoed if it may hold a password.
	shown := strconv.Quote(shorten(instanceURL, 100))
	if strings.Contains(instanceURL, "@") {
		shown = "(not shown: contains @)"
	}
	if len(instanceURL) > maxInstanceURLLength || !utf8.ValidString(instanceURL) {
		return nil, fmt.Errorf("instance URL %s is not UTF-8 of at most %d bytes: %w", shown, maxInstanceURLLength, domain.ErrInvalidInput)
	}
	if _, err := domain.NormalizeInstanceURL(instanceURL); err != nil {
		return nil, fmt.Errorf("instance URL %s: %w", shown, err)
	}
	u, err := url.Parse(instanceURL)
	if err != nil { // NormalizeInstanceURL parsed it already
		return nil, fmt.Errorf("instance URL %s is not a URL: %w", shown, domain.ErrInvalidInput)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	joined := *u
	joined.Path = strings.TrimRight(u.Path, "/") + "/" + endpoint
	if u.RawPath != "" {
		// Parse keeps RawPath only when the prefix was escaped unusually
		// (%2F, say); extending it the same way keeps that form on the wire.
		joined.RawPath = strings.TrimRight(u.RawPath, "/") + "/" + endpoint
	}
	return &joined, nil
}

// shorten keeps error messages to one short line whatever the input.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
