package logbundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Read parses a bundle file as GET /federation/bundle answered it: one
// JSON object of at most MaxBundle bytes and nothing after it. It checks
// the shape only; Verify says whether what it states holds. Members it
// does not know are ignored, so that a later node may add some: the
// format string is what names the layout.
func Read(r io.Reader) (Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundle+1))
	if err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	if len(data) > MaxBundle {
		return Bundle{}, fmt.Errorf("bundle: over %d bytes; a bundle is a few kilobytes", MaxBundle)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return Bundle{}, errors.New("bundle: not a JSON object (want what GET /federation/bundle answers)")
	}
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return Bundle{}, fmt.Errorf("bundle: not the JSON of a bundle: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Bundle{}, errors.New("bundle: data after the JSON object")
	}
	return b, nil
}
