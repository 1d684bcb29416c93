package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxFilterEntries     = 100
	maxFilterEntryLength = 200 // bytes, after normalising
)

// Filters narrow a subscription to some of a source's plugins. Filters from
// ParseFilters are normalised (trimmed, tags lower-case, every list sorted
// without duplicates, empty lists nil), so equal filters are equal values.
type Filters struct {
	Tags        []string `json:"tags,omitempty"`
	Slugs       []string `json:"slugs,omitempty"`
	ExcludeTags []string `json:"exclude_tags,omitempty"`
}

// ParseFilters reads the JSON value of a subscription's "filters". Empty
// input and null mean no filters. It is strict, so a typo cannot silently
// widen a subscription: the value must be an object whose keys are among
// tags, slugs and exclude_tags, each at most once, each an array of strings
// (or null); every list holds at most 100 entries, and every entry is valid
// UTF-8 without control characters and 1 to 200 bytes long once trimmed.
// Errors wrap ErrInvalidInput and name the key.
func ParseFilters(raw []byte) (Filters, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Filters{}, nil
	}
	p := filterParser{raw: raw, dec: json.NewDecoder(bytes.NewReader(raw))}
	tok, err := p.dec.Token()
	if err != nil {
		return Filters{}, filtersNotJSON("filters", err)
	}
	var f Filters
	switch tok {
	case nil:
	case json.Delim('{'):
		if f, err = p.object(); err != nil {
			return Filters{}, err
		}
	default:
		return Filters{}, fmt.Errorf("filters must be an object with tags, slugs or exclude_tags: %w", ErrInvalidInput)
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return Filters{}, fmt.Errorf("filters have something after the value: %w", ErrInvalidInput)
	}
	return f, nil
}

// filterParser walks the tokens itself rather than unmarshalling into the
// struct: encoding/json matches keys case-insensitively, keeps the last of
// duplicate keys and turns invalid UTF-8 into U+FFFD, and all three would
// let a malformed filter through.
type filterParser struct {
	raw []byte
	dec *json.Decoder
}

func (p *filterParser) object() (Filters, error) {
	var f Filters
	seen := map[string]bool{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return Filters{}, filtersNotJSON("filters", err)
		}
		key, _ := tok.(string) // an object key is always a string
		var list *[]string
		var normalise func(string) string
		switch key {
		case "tags":
			list, normalise = &f.Tags, normaliseTag
		case "exclude_tags":
			list, normalise = &f.ExcludeTags, normaliseTag
		case "slugs":
			list, normalise = &f.Slugs, strings.TrimSpace
		default:
			return Filters{}, fmt.Errorf("filters: unknown key %q (want tags, slugs or exclude_tags): %w", truncate(key, 40), ErrInvalidInput)
		}
		if seen[key] {
			return Filters{}, fmt.Errorf("filters: key %q given twice: %w", key, ErrInvalidInput)
		}
		seen[key] = true
		if *list, err = p.list(key, normalise); err != nil {
			return Filters{}, InField("filters."+key, err)
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return Filters{}, filtersNotJSON("filters", err)
	}
	return f, nil
}

// list reads the array under key and returns it normalised.
func (p *filterParser) list(key string, normalise func(string) string) ([]string, error) {
	tok, err := p.dec.Token()
	switch {
	case err != nil:
		return nil, filtersNotJSON("filters."+key, err)
	case tok == nil:
		return nil, nil
	case tok != json.Delim('['):
		return nil, fmt.Errorf("filters.%s must be an array of strings: %w", key, ErrInvalidInput)
	}
	var out []string
	for p.dec.More() {
		start := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, filtersNotJSON("filters."+key, err)
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("filters.%s must be an array of strings, not one holding %s: %w", key, filterTokenKind(tok), ErrInvalidInput)
		}
		if len(out) == maxFilterEntries {
			return nil, fmt.Errorf("filters.%s has more than %d entries: %w", key, maxFilterEntries, ErrInvalidInput)
		}
		// The decoder has already replaced invalid UTF-8, so look at the
		// bytes it read; the separators before the string are ASCII.
		if !utf8.Valid(p.raw[start:p.dec.InputOffset()]) {
			return nil, fmt.Errorf("filters.%s entry %d is not valid UTF-8: %w", key, len(out)+1, ErrInvalidInput)
		}
		s = normalise(s)
		switch {
		case s == "":
			return nil, fmt.Errorf("filters.%s entry %d is empty: %w", key, len(out)+1, ErrInvalidInput)
		case len(s) > maxFilterEntryLength:
			return nil, fmt.Errorf("filters.%s entry %d is longer than %d bytes: %w", key, len(out)+1, maxFilterEntryLength, ErrInvalidInput)
		case strings.ContainsFunc(s, unicode.IsControl):
			// The event store keeps filters in jsonb, which refuses \u0000.
			return nil, fmt.Errorf("filters.%s entry %q holds a control character: %w", key, truncate(s, 40), ErrInvalidInput)
		}
		out = append(out, s)
	}
	if _, err := p.dec.Token(); err != nil { // the closing bracket
		return nil, filtersNotJSON("filters."+key, err)
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out)), nil
}

// filtersNotJSON is the error for a token the decoder could not read; running out
// of input in the middle of the value is io.EOF there.
func filtersNotJSON(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s is not JSON: %v: %w", what, err, ErrInvalidInput)
}

func filterTokenKind(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case json.Delim:
		return "an array or object"
	}
	return fmt.Sprintf("%T", tok)
}

// normaliseTag is how tags are compared, on both sides of Match.
func normaliseTag(tag string) string { return strings.ToLower(strings.TrimSpace(tag)) }

// Match reports whether a plugin with this slug and these tags passes the
// filters: one of its tags is among Tags (when Tags is not empty), its slug
// is among Slugs (when Slugs is not empty), and none of its tags is among
// ExcludeTags. Tags compare case-insensitively, slugs exactly. Empty filters
// match everything.
func (f Filters) Match(slug string, tags []string) bool {
	if len(f.Slugs) > 0 && !slices.Contains(f.Slugs, slug) {
		return false
	}
	if len(f.Tags) == 0 && len(f.ExcludeTags) == 0 {
		return true
	}
	has := make(map[string]bool, len(tags))
	for _, t := range tags {
		has[normaliseTag(t)] = true
	}
	anyOf := func(list []string) bool {
		return slices.ContainsFunc(list, func(t string) bool { return has[normaliseTag(t)] })
	}
	return (len(f.Tags) == 0 || anyOf(f.Tags)) && !anyOf(f.ExcludeTags)
}

// Equal compares list by list; filters from ParseFilters are normalised, so
// the order and case they were written in do not matter.
func (f Filters) Equal(g Filters) bool {
	return slices.Equal(f.Tags, g.Tags) && slices.Equal(f.Slugs, g.Slugs) && slices.Equal(f.ExcludeTags, g.ExcludeTags)
}
