package domain

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

const (
	// maxNamingSchemeLength bounds assetInfo.namingScheme as a publisher
	// sends it; maxAssetURLLength bounds the URL built from it, since a
	// legacy scheme repeats the slug as often as it says "slug".
	maxNamingSchemeLength = 1024
	maxAssetURLLength     = 8192
)

var assetPlaceholders = []string{"{author}", "{slug}", "{version}"}

// AssetURL is where a publisher serves the file of one plugin version:
// namingScheme with the values substituted, under assetDomain (see "Asset
// naming scheme" in docs/protocol.md).
//
// A scheme with none of {author}, {slug}, {version} is the original
// network's legacy form: the first literal "author" becomes the author and
// every literal "slug" the slug, all found in the scheme as the publisher
// wrote it, so substituted values are never searched again (an author
// called "slugger" stays whole). A scheme with any placeholder has only its
// placeholders replaced. This is what the reference publisher
// (cmd/pfn-publisher) serves.
//
// Every substituted value is path-escaped, so it stays one path segment
// whatever it holds; a substituted value that is empty, "." or ".." is
// refused, and values the scheme does not use are not looked at. The
// scheme is a path relative to assetDomain, which may itself have a path:
// https://cdn.example/assets with "p/slug.zip" gives
// https://cdn.example/assets/p/<slug>.zip. A scheme that is empty, names no
// slug (every plugin would share one file), is an absolute or
// scheme-relative URL, holds '?', '#' or '\', or has "." or ".." segments is
// refused, as is any result that is not on assetDomain's scheme, host and
// port and under its path. Every error wraps ErrInvalidInput.
func AssetURL(assetDomain, namingScheme, author, slug, version string) (string, error) {
	base, err := parseAssetDomain(assetDomain)
	if err != nil {
		return "", err
	}
	if err := checkAssetNamingScheme(namingScheme); err != nil {
		return "", err
	}
	path, err := substituteAssetPath(namingScheme, author, slug, version)
	if err != nil {
		return "", err
	}
	basePath := strings.TrimRight(base.EscapedPath(), "/")
	raw := base.Scheme + "://" + base.Host + basePath + "/" + strings.TrimPrefix(path, "/")
	if len(raw) > maxAssetURLLength {
		return "", fmt.Errorf("asset URL would be %d bytes, more than %d: %w", len(raw), maxAssetURLLength, ErrInvalidInput)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // without the whole URL again
		}
		return "", fmt.Errorf("naming scheme %q does not give a URL: %v: %w", truncate(namingScheme, 80), err, ErrInvalidInput)
	}
	switch {
	case u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil || u.Opaque != "":
		return "", fmt.Errorf("asset URL %q leaves %s://%s: %w", truncate(raw, 120), base.Scheme, base.Host, ErrInvalidInput)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("asset URL %q has a query or fragment: %w", truncate(raw, 120), ErrInvalidInput)
	case !strings.HasPrefix(u.EscapedPath(), basePath+"/"):
		return "", fmt.Errorf("asset URL %q is not under the asset domain's path %q: %w", truncate(raw, 120), basePath+"/", ErrInvalidInput)
	}
	if err := checkNoDotPathSegments(u.EscapedPath()); err != nil {
		return "", fmt.Errorf("asset URL %q: %w", truncate(raw, 120), err)
	}
	return u.String(), nil
}

// parseAssetDomain checks assetInfo.domain: an http(s) URL with a host and
// at most a path, which must not climb out of itself.
func parseAssetDomain(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("asset domain is empty: %w", ErrInvalidInput)
	}
	if len(raw) > maxURLLength || !utf8.ValidString(raw) {
		return nil, fmt.Errorf("asset domain is not a URL of at most %d bytes of UTF-8: %w", maxURLLength, ErrInvalidInput)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("asset domain %q is not a URL: %w", truncate(raw, 80), ErrInvalidInput)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("asset domain %q must start with http:// or https://: %w", truncate(raw, 80), ErrInvalidInput)
	case u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return nil, fmt.Errorf("asset domain %q has no host: %w", truncate(raw, 80), ErrInvalidInput)
	case u.User != nil:
		return nil, fmt.Errorf("asset domain %q must not carry a user name or password: %w", truncate(raw, 80), ErrInvalidInput)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("asset domain %q must not have a query or fragment: %w", truncate(raw, 80), ErrInvalidInput)
	}
	if err := checkNoDotPathSegments(u.EscapedPath()); err != nil {
		return nil, fmt.Errorf("asset domain %q: %w", truncate(raw, 80), err)
	}
	return u, nil
}

// checkAssetNamingScheme refuses what cannot be a path relative to the asset
// domain before anything is substituted into it.
func checkAssetNamingScheme(scheme string) error {
	q := truncate(scheme, 80)
	switch {
	case scheme == "":
		return fmt.Errorf("naming scheme is empty: %w", ErrInvalidInput)
	case len(scheme) > maxNamingSchemeLength || !utf8.ValidString(scheme):
		return fmt.Errorf("naming scheme is not at most %d bytes of UTF-8: %w", maxNamingSchemeLength, ErrInvalidInput)
	case startsWithURLScheme(scheme):
		return fmt.Errorf("naming scheme %q is an absolute URL, not a path under the asset domain: %w", q, ErrInvalidInput)
	case strings.HasPrefix(scheme, "//"):
		return fmt.Errorf("naming scheme %q starts with // and would name another host: %w", q, ErrInvalidInput)
	case strings.ContainsAny(scheme, `?#\`):
		return fmt.Errorf(`naming scheme %q holds '?', '#' or '\'; a naming scheme is a path: %w`, q, ErrInvalidInput)
	case usesAssetPlaceholders(scheme) && !strings.Contains(scheme, "{slug}"):
		return fmt.Errorf("naming scheme %q has no {slug}, so every plugin would share one file: %w", q, ErrInvalidInput)
	case !usesAssetPlaceholders(scheme) && !strings.Contains(scheme, "slug"):
		return fmt.Errorf(`naming scheme %q has neither "slug" nor {slug}, so every plugin would share one file: %w`, q, ErrInvalidInput)
	}
	return nil
}

// startsWithURLScheme reports whether s starts with an RFC 3986 scheme and a
// colon ("https:", "javascript:").
func startsWithURLScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// usesAssetPlaceholders tells the explicit form from the legacy one.
func usesAssetPlaceholders(scheme string) bool {
	for _, p := range assetPlaceholders {
		if strings.Contains(scheme, p) {
			return true
		}
	}
	return false
}

// substituteAssetPath fills in the scheme. The legacy words cannot overlap
// ("author" and "slug" share no prefix/suffix), so cutting at the first
// "author" and replacing "slug" on both sides is one left-to-right pass over
// the scheme as written.
func substituteAssetPath(scheme, author, slug, version string) (string, error) {
	escaped := func(name, value string) (string, error) {
		if value == "" || value == "." || value == ".." {
			return "", fmt.Errorf("%s %q cannot be a path segment of an asset URL: %w", name, value, ErrInvalidInput)
		}
		return url.PathEscape(value), nil
	}
	if usesAssetPlaceholders(scheme) {
		pairs := make([]string, 0, 6)
		for _, v := range []struct{ placeholder, name, value string }{
			{"{author}", "author", author}, {"{slug}", "slug", slug}, {"{version}", "version", version},
		} {
			if !strings.Contains(scheme, v.placeholder) {
				continue
			}
			e, err := escaped(v.name, v.value)
			if err != nil {
				return "", err
			}
			pairs = append(pairs, v.placeholder, e)
		}
		return strings.NewReplacer(pairs...).Replace(scheme), nil
	}
	s, err := escaped("slug", slug) // checkAssetNamingScheme made sure "slug" is there
	if err != nil {
		return "", err
	}
	before, after, found := strings.Cut(scheme, "author")
	if !found {
		return strings.ReplaceAll(scheme, "slug", s), nil
	}
	a, err := escaped("author", author)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(before, "slug", s) + a + strings.ReplaceAll(after, "slug", s), nil
}

// checkNoDotPathSegments refuses an escaped path with a segment that is, once
// decoded, "." or ".." (so %2e%2e counts): a client or server that
// normalises the path would climb out of where it was put.
func checkNoDotPathSegments(escapedPath string) error {
	for _, seg := range strings.Split(escapedPath, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return fmt.Errorf("path segment %q is not validly escaped: %w", truncate(seg, 40), ErrInvalidInput)
		}
		if dec == "." || dec == ".." {
			return fmt.Errorf("path has a %q segment: %w", dec, ErrInvalidInput)
		}
	}
	return nil
}
