package publisher

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPluginFieldCaps(t *testing.T) {
	t.Parallel()
	entry := func(extra string) string {
		return `{"plugins":[{"slug":"s","name":"n","version":"1","signature":"sig"` + extra + `}]}`
	}
	str := func(key string, n int, r string) string { return `,"` + key + `":"` + strings.Repeat(r, n) + `"` }
	tags := func(n, each int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `"` + strings.Repeat("t", each) + `"`
		}
		return `,"tags":[` + strings.Join(parts, ",") + `]`
	}
	tests := []struct {
		name, extra, invalid string // invalid: a part of the reason, "" when the entry is usable
	}{
		{"name at the cap", str("name", MaxNameChars, "n"), ""},
		{"name at the cap in multi-byte characters", str("name", MaxNameChars, "é"), ""},
		{"name over the cap", str("name", MaxNameChars+1, "n"), `"name" is 201 characters, the cap is 200`},
		{"description at the cap", str("short_description", MaxDescriptionChars, "d"), ""},
		{"900 KB description", str("short_description", 900_000, "d"), `"short_description" is 900000 characters, the cap is 500`},
		{"version at the cap", str("version", MaxVersionBytes, "1"), ""},
		{"version over the cap", str("version", MaxVersionBytes+1, "1"), `"version" is 65 bytes, the cap is 64`},
		{"tags at the caps", tags(MaxTags, MaxTagChars), ""},
		{"too many tags", tags(MaxTags+1, 1), `"tags" has 33 entries, the cap is 32`},
		{"a tag too long", tags(2, MaxTagChars+1), `tag 0 is 65 characters, the cap is 64`},
		{"signature too long", str("signature", 1000, "A"), `"signature" is 1000 bytes, the cap is 256`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := parseAuthorData([]byte(entry(tt.extra)))
			if err != nil || len(a.Plugins) != 1 {
				t.Fatalf("parse = %+v, %v", a, err)
			}
			got := a.Plugins[0].Invalid
			if tt.invalid == "" && got != "" {
				t.Fatalf("refused within the caps: %s", got)
			}
			if !strings.Contains(got, tt.invalid) {
				t.Fatalf("Invalid = %q, want it to say %q", got, tt.invalid)
			}
		})
	}
}

func TestListingCapIsEnforcedWhileParsing(t *testing.T) {
	t.Parallel()
	listing := func(n int) []byte {
		return []byte(`{"plugins":[` + strings.TrimSuffix(strings.Repeat(`{},`, n), ",") + `]}`)
	}
	a, err := parseAuthorDataMax(listing(5), 5)
	if err != nil || len(a.Plugins) != 5 {
		t.Fatalf("5 entries under a cap of 5 = %d plugins, %v", len(a.Plugins), err)
	}
	_, err = parseAuthorDataMax(listing(6), 5)
	if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), `"plugins" lists more than 5 entries`) {
		t.Fatalf("6 entries under a cap of 5: %v", err)
	}
	// The default cap: 10,001 entries are refused, 10,000 are not.
	if _, err := parseAuthorData(listing(DefaultMaxListing + 1)); err == nil ||
		!strings.Contains(err.Error(), "more than "+strconv.Itoa(DefaultMaxListing)) {
		t.Fatalf("a listing over the default cap: %v", err)
	}
	if a, err := parseAuthorData(listing(DefaultMaxListing)); err != nil || len(a.Plugins) != DefaultMaxListing {
		t.Fatalf("a listing at the default cap: %d, %v", len(a.Plugins), err)
	}
	// Entries past the cap are never looked at: one that is not even JSON
	// after the cap does not change the reason.
	_, err = parseAuthorDataMax([]byte(`{"plugins":[{},{},{"slug":1}]}`), 2)
	if err == nil || !strings.Contains(err.Error(), "more than 2") {
		t.Fatalf("cap reached before a bad entry: %v", err)
	}
}

// withinCaps is what FuzzAuthorData holds every usable entry to.
func withinCaps(p Plugin) bool {
	if utf8.RuneCountInString(p.Name) > MaxNameChars || utf8.RuneCountInString(p.ShortDescription) > MaxDescriptionChars ||
		len(p.Version) > MaxVersionBytes || len(p.Tags) > MaxTags || len(p.Signature) > maxSignatureBytes {
		return false
	}
	for _, tag := range p.Tags {
		if utf8.RuneCountInString(tag) > MaxTagChars {
			return false
		}
	}
	return true
}
