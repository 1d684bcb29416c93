package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// ActivityEntry is one line of the activity feed.
type ActivityEntry struct {
	ID       string    `json:"id"` // the event's id
	Position int64     `json:"position"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	SourceID string    `json:"sourceId"`
	Plugin   string    `json:"plugin,omitempty"`
	Summary  string    `json:"summary"`
	Seq      int64     `json:"-"`
}

// ActivityPage is a page of the feed, newest first.
type ActivityPage struct {
	Entries    []ActivityEntry `json:"entries"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// ActivityReader reads the activity read model: entries older than before
// (0: from the newest), newest first.
type ActivityReader interface {
	Activity(ctx context.Context, source domain.SourceID, before int64, limit int) ([]ActivityEntry, error)
}

// ListActivity answers GET /federation/activity.
type ListActivity struct{ Reader ActivityReader }

const (
	defaultActivityLimit = 50
	maxActivityLimit     = 500
)

// Handle pages by the entries' sequence, which only grows: a cursor keeps
// its place however many entries arrive meanwhile.
func (h ListActivity) Handle(ctx context.Context, by Principal, source, limitText, cursor string) (ActivityPage, error) {
	if !by.IsAdmin() {
		return ActivityPage{}, domain.ErrForbidden
	}
	limit := defaultActivityLimit
	if limitText != "" {
		n, err := strconv.Atoi(limitText)
		if err != nil || n < 1 || n > maxActivityLimit {
			return ActivityPage{}, domain.InField("limit", fmt.Errorf("limit must be a whole number from 1 to %d: %w", maxActivityLimit, domain.ErrInvalidInput))
		}
		limit = n
	}
	var before int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			return ActivityPage{}, domain.InField("cursor", fmt.Errorf("cursor %q is not one this feed gave out: %w", cursor, domain.ErrInvalidInput))
		}
		before = n
	}
	var id domain.SourceID
	if source != "" {
		parsed, err := domain.ParseSourceID(source)
		if err != nil {
			return ActivityPage{}, err
		}
		id = parsed
	}
	// One more than asked tells whether there is a next page.
	entries, err := h.Reader.Activity(ctx, id, before, limit+1)
	if err != nil {
		return ActivityPage{}, err
	}
	page := ActivityPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		page.NextCursor = strconv.FormatInt(page.Entries[limit-1].Seq, 10)
	}
	return page, nil
}
