package domain

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SourceID names a publisher source: username@host, with :port kept when the
// instance URL has a non-default port, so two publishers on one host with
// different ports are different sources.
type SourceID string

const (
	maxURLLength      = 2048
	maxUsernameLength = 128
)

// NormalizeInstanceURL returns the canonical form of a publisher's base URL:
// http or https, scheme and host lower-case, default port dropped, no
// trailing slash, no user info, query or fragment.
func NormalizeInstanceURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("instance_url is empty: %w", ErrInvalidInput)
	}
	if len(raw) > maxURLLength || !utf8.ValidString(raw) {
		return "", fmt.Errorf("instance_url is not a URL of at most %d bytes of UTF-8: %w", maxURLLength, ErrInvalidInput)
	}
	// "127.0.0.1:8090" does not even parse as a URL and "localhost:8090"
	// parses with the scheme "localhost": both lack the same thing.
	if !strings.Contains(raw, "://") {
		return "", fmt.Errorf("instance_url must start with http:// or https:// (as in %q): %w", "http://"+truncate(raw, 80), ErrInvalidInput)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("instance_url is not a URL: %w", ErrInvalidInput)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("instance_url must start with http:// or https://: %w", ErrInvalidInput)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("instance_url has no host: %w", ErrInvalidInput)
	case u.User != nil:
		return "", fmt.Errorf("instance_url must not carry a user name or password: %w", ErrInvalidInput)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("instance_url must not have a query or fragment: %w", ErrInvalidInput)
	}
	host, err := NormalizeHost(u.Hostname())
	if err != nil {
		return "", fmt.Errorf("instance_url: %w", err)
	}
	port, err := normalizePort(scheme, u.Port())
	if err != nil {
		return "", fmt.Errorf("instance_url: %w", err)
	}
	if err := checkNoDotPathSegments(u.EscapedPath()); err != nil {
		return "", fmt.Errorf("instance_url: %w", err)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	hostPort := joinHostPort(host, port)
	return scheme + "://" + hostPort + path, nil
}

// ValidateUsername checks a publisher's author name: 1 to 128 printable
// characters without spaces, '@', '/', '\\', '?', '#' or '%' (it becomes part
// of the source id and of request paths and queries).
//
// One exception: a source mirrored from another node is named by its source
// id there (SPEC15 §4), so a username may contain '@' when the part after
// its last '@' is a valid host[:port] and the part before is itself a valid
// username: "pub@publisher.example@a.example:8080" is pub's source at
// publisher.example as a.example serves it. Such a name may be up to
// maxChainedUsernameLength bytes.
func ValidateUsername(name string) error {
	if len(name) > maxChainedUsernameLength {
		return fmt.Errorf("username must be at most %d bytes of UTF-8: %w", maxChainedUsernameLength, ErrInvalidInput)
	}
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		if err := parseIDHostPort(name[i+1:]); err != nil || i+1 == len(name) {
			return fmt.Errorf("username %q: the part after its last '@' is not a host[:port]: %w", truncate(name, 80), ErrInvalidInput)
		}
		return ValidateUsername(name[:i])
	}
	return validateUsernamePiece(name)
}

// maxChainedUsernameLength bounds a username that is another node's source
// id: a few hops of host names.
const maxChainedUsernameLength = 512

func validateUsernamePiece(name string) error {
	if name == "" {
		return fmt.Errorf("username is empty: %w", ErrInvalidInput)
	}
	if len(name) > maxUsernameLength || !utf8.ValidString(name) {
		return fmt.Errorf("username must be at most %d bytes of UTF-8: %w", maxUsernameLength, ErrInvalidInput)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune(`@/\?#%"'<>`, r) {
			return fmt.Errorf("username %q contains %q, which is not allowed: %w", name, r, ErrInvalidInput)
		}
	}
	return nil
}

// NewSourceID builds the id of a source from its normalized instance URL.
func NewSourceID(normalizedURL, username string) (SourceID, error) {
	if err := ValidateUsername(username); err != nil {
		return "", err
	}
	u, err := url.Parse(normalizedURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("instance_url %q is not normalized: %w", normalizedURL, ErrInvalidInput)
	}
	return SourceID(username + "@" + u.Host), nil
}

// ParseSourceID checks the shape of an id received from outside. It is read
// at its LAST '@': the username before it may itself be a source id.
func ParseSourceID(s string) (SourceID, error) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 || i+1 == len(s) || len(s) > maxChainedUsernameLength+maxURLLength {
		return "", fmt.Errorf("sourceId %q is not of the form username@host: %w", truncate(s, 80), ErrInvalidInput)
	}
	user, host := s[:i], s[i+1:]
	if err := ValidateUsername(user); err != nil {
		return "", err
	}
	if err := parseIDHostPort(host); err != nil {
		return "", fmt.Errorf("sourceId %q: %w", truncate(s, 80), err)
	}
	return SourceID(s), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// SplitSourceID parts a well-formed source id at its last '@' into the
// username (which may itself be a source id) and host[:port].
func SplitSourceID(id SourceID) (username, hostPort string) {
	s := string(id)
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}
