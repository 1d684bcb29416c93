package domain

import (
	"cmp"
	"fmt"
	"strings"
)

// maxVersionLength bounds a publisher's version string: it becomes part of
// blob keys and asset URLs.
const maxVersionLength = 128

// Version is a parsed publisher version: semver-like, with an optional
// leading "v", one or more numeric dot components (missing ones count as 0,
// so 1.0 and 1.0.0 are the same version), an optional pre-release after '-'
// and optional build metadata after '+'. The zero Version is 0.0.0.
type Version struct {
	raw     string
	release []string // digits without leading zeros, "" for 0
	pre     []string // pre-release identifiers; none for a release
}

// ParseVersion reads a version string. Anything else, the empty string and
// strings longer than 128 bytes included, is ErrInvalidInput. Leading zeros
// are accepted (publishers use dates such as 2024.01.15) and compare
// numerically.
func ParseVersion(s string) (Version, error) {
	fail := func(why string) (Version, error) {
		return Version{}, fmt.Errorf("version %q is not a version like 1.2.3 or 1.2.3-beta.1: %s: %w", truncate(s, 40), why, ErrInvalidInput)
	}
	switch {
	case s == "":
		return fail("it is empty")
	case len(s) > maxVersionLength:
		return fail(fmt.Sprintf("it is longer than %d bytes", maxVersionLength))
	}
	rest, build, hasBuild := strings.Cut(strings.TrimPrefix(s, "v"), "+")
	rest, pre, hasPre := strings.Cut(rest, "-")
	v := Version{raw: s}
	for _, c := range strings.Split(rest, ".") {
		if c == "" || !allASCIIDigits(c) {
			return fail(fmt.Sprintf("component %q is not a number", truncate(c, 20)))
		}
		v.release = append(v.release, strings.TrimLeft(c, "0"))
	}
	if hasPre {
		if !validVersionIdentifiers(pre) {
			return fail("the pre-release after '-' must be dot-separated identifiers of letters, digits and '-'")
		}
		v.pre = strings.Split(pre, ".")
	}
	if hasBuild && !validVersionIdentifiers(build) {
		return fail("the build metadata after '+' must be dot-separated identifiers of letters, digits and '-'")
	}
	return v, nil
}

// String is the version as the publisher wrote it.
func (v Version) String() string { return v.raw }

// Compare returns -1, 0 or +1 as v sorts before, with or after w, by
// semver 2.0 precedence: release components numerically, then a
// pre-release before its release, pre-release identifiers one by one
// (numeric ones numerically and before alphanumeric ones, which compare
// in ASCII order; fewer identifiers first when all shared ones are equal).
// Build metadata is ignored, so different strings can compare equal.
func (v Version) Compare(w Version) int {
	for i := range max(len(v.release), len(w.release)) {
		var a, b string
		if i < len(v.release) {
			a = v.release[i]
		}
		if i < len(w.release) {
			b = w.release[i]
		}
		if c := compareDigits(a, b); c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(w.pre) == 0:
		return -1
	}
	for i := range min(len(v.pre), len(w.pre)) {
		if c := comparePrereleaseIdentifiers(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(v.pre), len(w.pre))
}

// CompareVersions orders two version strings as Version.Compare does.
// Callers parse first (ParseVersion) and compare only valid versions; so
// that sorting never panics or loops, a string that is not a version sorts
// before every version, and two such strings compare as strings.
func CompareVersions(a, b string) int {
	va, errA := ParseVersion(a)
	vb, errB := ParseVersion(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return va.Compare(vb)
}

func comparePrereleaseIdentifiers(a, b string) int {
	na, nb := allASCIIDigits(a), allASCIIDigits(b)
	switch {
	case na && nb:
		return compareDigits(strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0"))
	case na:
		return -1
	case nb:
		return 1
	}
	return strings.Compare(a, b)
}

// compareDigits compares decimal numbers without leading zeros as written,
// so no component is too large to compare.
func compareDigits(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// validVersionIdentifiers: one or more non-empty dot-separated identifiers
// of ASCII letters, digits and '-'.
func validVersionIdentifiers(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}
