package publisher

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Author is a publisher's profile of one author and the plugins it lists.
type Author struct {
	Username, MemberSince, Website, GitHub, Twitter string
	Plugins                                         []Plugin
	// SourceStatus is an upstream node's status of the source ("active"
	// from a publisher, which sends none).
	SourceStatus SourceStatus
}

// Plugin is one entry of an author's plugin list, as the publisher sent it.
// Nothing here is verified yet: the signature is checked by the caller.
type Plugin struct {
	Slug, Name, Version, ShortDescription string
	// Tags are the tag names: the values of a "tags" object in key order, or
	// a "tags" array as sent.
	Tags           []string
	Icons          map[string]string
	Rating         float64
	ActiveInstalls int64
	Signature      string
	// SHA256 is the optional "sha256" of the plugin file, lower-case hex, ""
	// when the publisher did not send one.
	SHA256 string
	// SignatureV2 is the optional "signature_v2": the publisher's signature
	// over the claim and the file's sha256 and size (docs/protocol.md). An
	// entry with it lists "sha256" and "size" too; Size is read only then.
	SignatureV2 string
	Size        int64
	// Invalid says why the entry cannot be used (`missing "signature"`,
	// `"rating" is a string, want a number`), "" when it can. The fields
	// that did decode are still filled in, for logging.
	Invalid string
	// From an upstream node (author_chain.go); empty from a publisher.
	Publisher  *Publisher
	Provenance []Hop
	Yanked     *Yank
	// LogIndex is the optional "log_index" of a node's entry: where its
	// transparency log holds the node's statement of this version; nil
	// when absent or null.
	LogIndex *int64
}

// AuthorData fetches an author's profile and plugin list. A malformed entry
// in the list makes that Plugin Invalid rather than failing the call, so one
// broken plugin does not hide an author's other plugins; a malformed profile
// or a "plugins" that is not an array is ErrIncompatible.
func (c *Client) AuthorData(ctx context.Context, instanceURL, author string) (Author, error) {
	u, err := endpointURL(instanceURL, "author-data")
	if err != nil {
		return Author{}, fmt.Errorf("GET /author-data: %w", err)
	}
	u.RawQuery = url.Values{"author": {author}}.Encode()
	if author == "" {
		return Author{}, fmt.Errorf("GET %s: author must not be empty: %w", u, domain.ErrInvalidInput)
	}
	body, err := c.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Author{}, fmt.Errorf("GET %s: %w", u, err)
	}
	a, err := parseAuthorDataMax(body, c.maxListing)
	if err != nil {
		return Author{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return a, nil
}

// parseAuthorData decodes an /author-data body under the default listing
// cap. It never panics and every error wraps ErrIncompatible
// (FuzzAuthorData holds it to both).
func parseAuthorData(body []byte) (Author, error) {
	return parseAuthorDataMax(body, DefaultMaxListing)
}

// parseAuthorDataMax decodes an /author-data body listing at most
// maxEntries plugins; a longer listing is ErrIncompatible.
func parseAuthorDataMax(body []byte, maxEntries int) (Author, error) {
	obj, err := parseJSONObject(body)
	if err != nil {
		return Author{}, fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	var a Author
	var problems problemList
	a.Username = problems.str(obj, "username")
	a.MemberSince = problems.str(obj, "member_since")
	a.Website = problems.str(obj, "website")
	a.GitHub = problems.str(obj, "github")
	a.Twitter = problems.str(obj, "twitter")
	a.Plugins, err = parsePlugins(obj, maxEntries)
	problems.add(err)
	a.SourceStatus = parseSourceStatus(obj, &problems)
	if err := problems.err(); err != nil {
		return Author{}, fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	return a, nil
}

// parsePlugin decodes one entry of "plugins". It does not fail: whatever is
// wrong ends up in Invalid.
func parsePlugin(raw json.RawMessage) Plugin {
	if kind := jsonKind(raw); kind != "an object" {
		return Plugin{Invalid: "entry is " + kind + ", want an object"}
	}
	var obj jsonObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Plugin{Invalid: "entry is not a valid object: " + err.Error()}
	}
	var p Plugin
	var problems problemList
	p.Slug = problems.required(obj, "slug", "")
	p.Name = problems.required(obj, "name", "")
	p.Version = problems.required(obj, "version", "")
	p.ShortDescription = problems.str(obj, "short_description")
	var err error
	p.Tags, err = obj.stringsOrValues("tags")
	problems.add(err)
	p.Icons, err = obj.stringMap("icons")
	problems.add(err)
	p.Rating, err = obj.float("rating")
	problems.add(err)
	p.ActiveInstalls, err = obj.count("active_installs")
	problems.add(err)
	p.Signature = problems.required(obj, "signature", "")
	p.SHA256, err = sha256Member(obj)
	problems.add(err)
	p.SignatureV2, p.Size, err = signatureV2Members(obj, p.SHA256)
	problems.add(err)
	parseChain(obj, &p, &problems)
	p.LogIndex, err = logIndexMember(obj)
	problems.add(err)
	capProblems(p, &problems)
	p.Invalid = problems.String()
	return p
}

// sha256Member returns the optional "sha256" member as lower-case hex. A
// value that is not 64 hex digits is an error, not ignored: a publisher that
// sends one means the file must match it.
func sha256Member(obj jsonObject) (string, error) {
	s, err := obj.str("sha256")
	if err != nil || s == "" {
		return "", err
	}
	if !isSHA256Hex(s) {
		return "", errors.New(`"sha256" is not 64 hex digits`)
	}
	return strings.ToLower(s), nil
}

// isSHA256Hex reports whether s is a sha256 in hex, either case: a
// listing's "sha256" and a revalidation answer's validators.
func isSHA256Hex(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil
}

// signatureV2Members returns the optional "signature_v2" and, with it, the
// "size" it signs. A v2 entry without a "sha256" and a whole "size" up to
// 2^53-1 is malformed: the signature covers both. Without "signature_v2",
// "size" is not read, so original publishers' entries read as before.
func signatureV2Members(obj jsonObject, sha256 string) (string, int64, error) {
	sig, err := obj.str("signature_v2")
	if err != nil || sig == "" {
		return "", 0, err
	}
	if sha256 == "" || obj.member("size") == nil {
		return "", 0, errors.New(`"signature_v2" comes without "sha256" and "size", which it signs`)
	}
	size, err := obj.count("size")
	if err != nil {
		return "", 0, err
	}
	if size > domain.MaxAttestedSize {
		return "", 0, fmt.Errorf(`"size" %d is beyond 2^53-1`, size)
	}
	return sig, size, nil
}
