package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
		if errors.As(err, &typeErr) {
			return domain.InField(typeErr.Field, fmt.Errorf("field %q must be a %s, not %s: %w", typeErr.Field, typeErr.Type, typeErr.Value, domain.ErrInvalidInput))
		}
		return fmt.Errorf("request body is not a valid JSON object: %v: %w", err, domain.ErrInvalidInput)
	}
	return nil
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
