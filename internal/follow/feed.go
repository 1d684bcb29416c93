package follow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Change is one entry of GET /federation/changes.
type Change struct {
	Cursor  string `json:"cursor"`
	Kind    string `json:"kind"` // domain.ChangeKind's names; others are passed over
	Source  string `json:"source"`
	Plugin  string `json:"plugin"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Reason  string `json:"reason"`
	At      string `json:"at"`

	seq  uint64            // Cursor, parsed
	kind domain.ChangeKind // Kind, parsed: the zero kind when this version does not know it
}

// known says whether this follower acts on the change's kind; it passes
// over the others (a newer node's).
func (c Change) known() bool { return c.kind != domain.ChangeKind{} }

// Page is one answer of GET /federation/changes.
type Page struct {
	Changes []Change `json:"changes"`
	Next    string   `json:"next"`
	More    bool     `json:"more"`
}

// ParsePage reads a feed page asked for after the cursor after and checks
// what the follower relies on: cursors are decimal and strictly increasing
// past after, and every version change names a source, plugin and version
// that are safe as file names, with a sha256 where there are bytes to fetch.
// A page that breaks them is a *Failure of the feed: the node is broken or
// lying, and skipping an entry would lose a version silently.
func ParsePage(body []byte, after uint64) (Page, error) {
	fail := func(detail string) error { return &Failure{What: "feed page", Detail: detail} }
	var p Page
	if err := json.Unmarshal(body, &p); err != nil {
		return Page{}, fail("not the JSON of a change page: " + err.Error())
	}
	last := after
	for i := range p.Changes {
		c := &p.Changes[i]
		seq, err := ParseCursor(c.Cursor)
		if err != nil || seq <= last {
			return Page{}, fail(fmt.Sprintf("change %d has the cursor %q, want a decimal integer above %d", i+1, truncate(c.Cursor, 30), last))
		}
		c.seq, last = seq, seq
		c.kind, _ = domain.ParseChangeKind(c.Kind) // unknown: the zero kind
		if err := c.check(); err != nil {
			return Page{}, fail(fmt.Sprintf("change %s (%s): %v", c.Cursor, truncate(c.Kind, 30), err))
		}
	}
	next, err := ParseCursor(p.Next)
	if err != nil || next < last {
		return Page{}, fail(fmt.Sprintf("next is %q, want a decimal cursor at or after %d", truncate(p.Next, 30), last))
	}
	return p, nil
}

// ParseCursor reads a feed cursor: a decimal integer >= 0.
func ParseCursor(s string) (uint64, error) {
	if s == "" || len(s) > 20 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("cursor %q: want a decimal integer >= 0", truncate(s, 30))
	}
	return strconv.ParseUint(s, 10, 64)
}

func (c Change) check() error {
	switch {
	case !c.known():
		return nil // passed over (follower.go)
	case strings.HasPrefix(c.kind.String(), "source."):
		return checkSegment("source", c.Source)
	}
	if err := checkSegment("source", c.Source); err != nil {
		return err
	}
	if err := domain.ValidatePluginSlug(c.Plugin); err != nil {
		return err
	}
	if err := checkSegment("version", c.Version); err != nil {
		return err
	}
	if c.kind == domain.ChangeVersionYanked || c.kind == domain.ChangeVersionPruned {
		return nil // nothing to fetch: a sha256 is not needed
	}
	if len(c.SHA256) != 64 || strings.Trim(c.SHA256, "0123456789abcdef") != "" {
		return fmt.Errorf("sha256 %q is not 64 lower-case hex digits", truncate(c.SHA256, 80))
	}
	if c.Size < 0 {
		return fmt.Errorf("size %d is negative", c.Size)
	}
	return nil
}

// checkSegment refuses what cannot be one directory entry: the source id
// and the version name directories and files under DIR.
func checkSegment(field, s string) error {
	if s == "" || len(s) > 255 || s == "." || s == ".." || strings.HasPrefix(s, ".") {
		return fmt.Errorf("%s %q: empty, too long or starting with a dot", field, truncate(s, 40))
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return fmt.Errorf("%s %q: a slash, backslash or control character", field, truncate(s, 40))
		}
	}
	return nil
}
