package httpapi

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/domain"
)

// checkQuery refuses a query string the database could not take: every
// parameter name and value must be valid UTF-8 without NUL (PostgreSQL
// answers SQLSTATE 22021 otherwise, which was a 500). It runs before any
// route, so no endpoint sees such a value.
func checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := validateQuery(c.Request().URL.RawQuery); err != nil {
			return err
		}
		return next(c)
	}
}

// validateQuery says which parameter of a raw query string is unusable, as
// an ErrInvalidInput (400).
func validateQuery(raw string) error {
	if raw == "" {
		return nil
	}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return domain.InField(quoteParam(rawName), fmt.Errorf("query parameter %q is not properly %%-escaped: %w", quoteParam(rawName), domain.ErrInvalidInput))
		}
		if !usableText(name) {
			return domain.InField(quoteParam(rawName), fmt.Errorf("query parameter name %q is not valid UTF-8 text (no NUL): %w", quoteParam(rawName), domain.ErrInvalidInput))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return domain.InField(quoteParam(name), fmt.Errorf("query parameter %q: value is not properly %%-escaped: %w", quoteParam(name), domain.ErrInvalidInput))
		}
		if !usableText(value) {
			return domain.InField(quoteParam(name), fmt.Errorf("query parameter %q: value is not valid UTF-8 text (no NUL): %w", quoteParam(name), domain.ErrInvalidInput))
		}
	}
	return nil
}

func usableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// quoteParam shortens a name for an error message; %q then escapes what
// is not printable.
func quoteParam(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
