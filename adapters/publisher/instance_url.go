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
// endpoint. The rules match domain.NormalizeInstanceURL, so every URL the
// domain accepts works here, and nothing the domain refuses (user info that
// would end up in logs, a query the endpoint would clobber, dot segments that
// move the request elsewhere) sneaks in through another caller.
func endpointURL(instanceURL, endpoint string) (*url.URL, error) {
	// Until it parses, the URL is not echoed if it may hold a password.
	shown := strconv.Quote(shorten(instanceURL, 100))
	if strings.Contains(instanceURL, "@") {
		shown = "(not shown: contains @)"
	}
	invalid := func(why string) error {
		return fmt.Errorf("instance URL %s %s: %w", shown, why, domain.ErrInvalidInput)
	}
	if len(instanceURL) > maxInstanceURLLength || !utf8.ValidString(instanceURL) {
		return nil, invalid(fmt.Sprintf("is not UTF-8 of at most %d bytes", maxInstanceURLLength))
	}
	u, err := url.Parse(instanceURL)
	if err != nil {
		return nil, invalid("is not a URL")
	}
	shown = strconv.Quote(shorten(u.Redacted(), 100))
	switch {
	case u.Scheme != "http" && u.Scheme != "https": // Parse lower-cases the scheme
		return nil, invalid("must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, invalid("has no host")
	case u.User != nil:
		return nil, invalid("must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, invalid("must not have a query or fragment")
	case hasDotSegment(u.Path): // decoded, so %2e%2e counts too
		return nil, invalid("must not contain . or .. path segments")
	}
	joined := *u
	joined.Path = strings.TrimRight(u.Path, "/") + "/" + endpoint
	if u.RawPath != "" {
		// Parse keeps RawPath only when the prefix was escaped unusually
		// (%2F, say); extending it the same way keeps that form on the wire.
		joined.RawPath = strings.TrimRight(u.RawPath, "/") + "/" + endpoint
	}
	return &joined, nil
}

func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// shorten keeps error messages to one short line whatever the input.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
