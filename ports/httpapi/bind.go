package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/domain"
)

// maxBody caps every request body; nothing the API takes is larger.
const maxBody = 64 << 10

// bindJSON decodes the request body into v, or says precisely what was wrong
// with it (ErrInvalidInput, a 400).
func bindJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		// echo's body limit ends a chunked body that is too large with its
		// own 413; keep it rather than calling the body malformed.
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he
		}
		return fmt.Errorf("read request body: %w", domain.ErrInvalidInput)
	}
	if len(body) > maxBody {
		return fmt.Errorf("request body is larger than %d bytes: %w", maxBody, domain.ErrInvalidInput)
	}
	if len(body) == 0 {
		return fmt.Errorf("request body is empty; send a JSON object: %w", domain.ErrInvalidInput)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(body) {
		return fmt.Errorf("request body is not valid UTF-8: %w", domain.ErrInvalidInput)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field == "" {
			return fmt.Errorf("request body must be a JSON object, not %s: %w", typeErr.Value, domain.ErrInvalidInput)
		}
		if errors.As(err, &typeErr) {
			return domain.InField(typeErr.Field, fmt.Errorf("field %q must be a %s, not %s: %w", typeErr.Field, typeErr.Type, typeErr.Value, domain.ErrInvalidInput))
		}
		return fmt.Errorf("request body is not a valid JSON object: %v: %w", err, domain.ErrInvalidInput)
	}
	var tree any
	_ = json.Unmarshal(body, &tree) // it decoded once already
	if field, ok := nulIn(tree, ""); ok {
		return domain.InField(field, fmt.Errorf("field %q contains a NUL character (\\u0000), which no text field takes: %w", field, domain.ErrInvalidInput))
	}
	return nil
}

// nulIn finds a string holding NUL anywhere in a decoded JSON value and
// names where it is (a.b[2]). PostgreSQL's text and jsonb refuse NUL, so a
// request carrying one would fail at the database, as a 500, after the
// use case had already checked it.
func nulIn(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, strings.ContainsRune(v, 0)
	case []any:
		for i, e := range v {
			if p, ok := nulIn(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if strings.ContainsRune(k, 0) {
				return p, true
			}
			if p, ok := nulIn(e, p); ok {
				return p, true
			}
		}
	}
	return "", false
}

func required(field, value string) error {
	if value == "" {
		return domain.InField(field, fmt.Errorf("%s is required: %w", field, domain.ErrInvalidInput))
	}
	return nil
}

// sourceIDIn reads a source id given in field (a body field or a query
// parameter): present and of the right shape.
func sourceIDIn(field, raw string) (domain.SourceID, error) {
	if err := required(field, raw); err != nil {
		return "", err
	}
	id, err := domain.ParseSourceID(raw)
	return id, domain.InField(field, err)
}
