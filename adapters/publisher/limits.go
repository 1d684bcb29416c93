package publisher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Caps on what one /author-data entry may hold (docs/limits.md). Every
// field capped here is stored with each mirrored version and served in
// every catalogue page, so a publisher's 900 KB description would cost
// every reader of the catalogue. An entry over a cap is refused, not cut:
// the publisher's signature covers the name and description, so a cut
// copy would be a claim the publisher never signed.
const (
	MaxNameChars        = 200 // "name", in characters
	MaxDescriptionChars = 500 // "short_description", in characters
	MaxVersionBytes     = 64  // "version" (semantic versions are ASCII)
	MaxTags             = 32  // entries of "tags"
	MaxTagChars         = 64  // one tag, in characters
	// maxSignatureBytes: an Ed25519 signature is 88 characters of base64;
	// anything much longer is not one and need not be kept in memory.
	maxSignatureBytes = 256
	// DefaultMaxListing is how many entries one /author-data may list
	// (PFN_SYNC_MAX_LISTING); a longer listing is refused whole.
	DefaultMaxListing = 10000
)

// capProblems adds a problem for every field of p over its cap.
func capProblems(p Plugin, problems *problemList) {
	chars := func(key, s string, limit int) {
		if n := utf8.RuneCountInString(s); n > limit {
			problems.addf("%q is %d characters, the cap is %d", key, n, limit)
		}
	}
	chars("name", p.Name, MaxNameChars)
	chars("short_description", p.ShortDescription, MaxDescriptionChars)
	if len(p.Version) > MaxVersionBytes {
		problems.addf("%q is %d bytes, the cap is %d", "version", len(p.Version), MaxVersionBytes)
	}
	if len(p.Signature) > maxSignatureBytes {
		problems.addf("%q is %d bytes, the cap is %d", "signature", len(p.Signature), maxSignatureBytes)
	}
	if len(p.SignatureV2) > maxSignatureBytes {
		problems.addf("%q is %d bytes, the cap is %d", "signature_v2", len(p.SignatureV2), maxSignatureBytes)
	}
	if len(p.Tags) > MaxTags {
		problems.addf("%q has %d entries, the cap is %d", "tags", len(p.Tags), MaxTags)
	}
	for i, tag := range p.Tags {
		if n := utf8.RuneCountInString(tag); n > MaxTagChars {
			problems.addf("tag %d is %d characters, the cap is %d", i, n, MaxTagChars)
			break // one is enough to refuse the entry
		}
	}
}

// parsePlugins decodes the "plugins" array one entry at a time, counting:
// a listing longer than maxEntries fails as soon as the entry past the cap
// is reached, before it or any later entry is decoded.
func parsePlugins(obj jsonObject, maxEntries int) ([]Plugin, error) {
	raw := obj.member("plugins")
	if raw == nil {
		return nil, nil
	}
	if kind := jsonKind(raw); kind != "an array" {
		return nil, fmt.Errorf("%q is %s, want an array", "plugins", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the '['
		return nil, fmt.Errorf("%q is not a valid array: %w", "plugins", err)
	}
	var out []Plugin
	for dec.More() {
		if len(out) >= maxEntries {
			return nil, fmt.Errorf("%q lists more than %d entries, the node's cap (PFN_SYNC_MAX_LISTING)", "plugins", maxEntries)
		}
		var e json.RawMessage
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("%q is not a valid array: %w", "plugins", err)
		}
		out = append(out, parsePlugin(e))
	}
	return out, nil
}
