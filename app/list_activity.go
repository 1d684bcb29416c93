package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// ActivityEntry is one line of the activity feed.
type ActivityEntry struct {
	ID       string // the event's id
	Position int64
	At       time.Time
	Kind     string
	SourceID string
	Plugin   string
	Summary  string

	// The original network's fields, beside PFN's own.
	OriginalActivity

	Seq int64
}

// OriginalActivity is an entry as the original network's clients read it
// (issue #12, docs/compatibility.md): nil where an entry has no such thing
// (a verification names no plugin or versions), which the original sent
// as null.
type OriginalActivity struct {
	Type           string // version_update, source_verification, else PFN's kind
	PluginID       *string
	PluginName     *string // as last mirrored; nil for a plugin never mirrored
	SourceID       string
	SourceUsername string
	OldVersion     *string // "0.0.0" for a first mirror
	NewVersion     *string
	Timestamp      int64 // unix seconds
}

// ActivityPage is a page of the feed, newest first. Activities is the
// same list under the original network's name (the original's scripts
// read .activities; PFN's clients read .entries).
type ActivityPage struct {
	Entries    []ActivityEntry
	Activities []ActivityEntry
	NextCursor string
}

// ActivityQuery is what the feed's read model is asked for: entries older
// than Before (0: from the newest), Offset of them skipped, newest first;
// only Kinds when given.
type ActivityQuery struct {
	Source domain.SourceID
	Before int64
	Offset int
	Limit  int
	Kinds  []string
}

// ActivityReader reads the activity read model.
type ActivityReader interface {
	Activity(ctx context.Context, q ActivityQuery) ([]ActivityEntry, error)
}

// ActivityParams is GET /federation/activity's query, as sent.
type ActivityParams struct {
	Source, Limit, Cursor, Offset string
	// OriginalOnly keeps the entries the original network showed (version
	// updates and verifications) and its default page size.
	OriginalOnly bool
}

// ListActivity answers GET /federation/activity.
type ListActivity struct{ Reader ActivityReader }

const (
	defaultActivityLimit         = 50
	defaultOriginalActivityLimit = 20 // the original node's
	maxActivityLimit             = 500
	// maxActivityOffset bounds how far offset paging reaches: PostgreSQL
	// reads and drops every skipped row. Further back, the cursor pages.
	maxActivityOffset = 100_000
)

// The kinds the original network's feed showed, and the type it called them.
var originalTypes = map[string]string{
	"mirrored":            "version_update", // a first mirror: from "0.0.0"
	"version_updated":     "version_update",
	"verified":            "source_verification",
	"verification_failed": "source_verification",
}

// Authorize: only admins read the activity feed.
func (h ListActivity) Authorize(by Principal) error { return requireAdmin(by) }

// Handle pages by the entries' sequence, which only grows: a cursor keeps
// its place however many entries arrive meanwhile. offset (the original
// network's paging) counts from the newest entry, so entries arriving
// between pages shift it; it cannot be combined with a cursor.
func (h ListActivity) Handle(ctx context.Context, by Principal, p ActivityParams) (ActivityPage, error) {
	if err := h.Authorize(by); err != nil {
		return ActivityPage{}, err
	}
	q, err := p.query()
	if err != nil {
		return ActivityPage{}, err
	}
	limit := q.Limit
	q.Limit++ // one more than asked tells whether there is a next page
	entries, err := h.Reader.Activity(ctx, q)
	if err != nil {
		return ActivityPage{}, err
	}
	page := ActivityPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		page.NextCursor = strconv.FormatInt(page.Entries[limit-1].Seq, 10)
	}
	for i := range page.Entries {
		page.Entries[i].addOriginalFields()
	}
	page.Activities = page.Entries
	return page, nil
}

func (p ActivityParams) query() (ActivityQuery, error) {
	q := ActivityQuery{Limit: defaultActivityLimit}
	if p.OriginalOnly {
		q.Limit = defaultOriginalActivityLimit
		for kind := range originalTypes {
			q.Kinds = append(q.Kinds, kind)
		}
		slices.Sort(q.Kinds)
	}
	if p.Limit != "" {
		n, err := pageLimit(p.Limit, maxActivityLimit)
		if err != nil {
			return q, err
		}
		q.Limit = n
	}
	if p.Cursor != "" {
		n, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || n < 1 {
			return q, domain.InField("cursor", fmt.Errorf("cursor %q is not one this feed gave out: %w", p.Cursor, domain.ErrInvalidInput))
		}
		q.Before = n
	}
	if p.Offset != "" {
		n, err := strconv.Atoi(p.Offset)
		if err != nil || n < 0 || n > maxActivityOffset {
			return q, domain.InField("offset", fmt.Errorf("offset must be a whole number from 0 to %d (page further back with the cursor): %w", maxActivityOffset, domain.ErrInvalidInput))
		}
		if p.Cursor != "" {
			return q, domain.InField("offset", fmt.Errorf("offset cannot be combined with cursor: page with one or the other: %w", domain.ErrInvalidInput))
		}
		q.Offset = n
	}
	source, err := sourceFilter(p.Source)
	q.Source = source
	return q, err
}

// addOriginalFields fills in the original network's names for what the
// entry already says.
func (e *ActivityEntry) addOriginalFields() {
	e.Type = e.Kind
	if t, ok := originalTypes[e.Kind]; ok {
		e.Type = t
	}
	e.Timestamp = e.At.Unix()
	e.OriginalActivity.SourceID = e.SourceID
	e.PluginID = nil
	if e.Plugin != "" {
		id := e.Plugin
		e.PluginID = &id
	}
}
