package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Change is one entry of the change feed: a catalogue change and its
// cursor, the n-th change having cursor n.
type Change struct {
	Cursor int64
	domain.CatalogChange
}

// ChangePage is a page of the feed, oldest first. Next is the cursor of the
// last change on it (the cursor asked after when it is empty); More says
// that further changes exist after Next.
type ChangePage struct {
	Changes []Change
	Next    int64
	More    bool
}

// ChangeQuery asks for the changes after a cursor, of one source when
// Source is set; Wait > 0 holds an empty answer until a change arrives or
// Wait has passed.
type ChangeQuery struct {
	After  int64
	Limit  int
	Source domain.SourceID
	Wait   time.Duration
}

// ChangeParams is GET /federation/changes's query, as sent.
type ChangeParams struct {
	After, Limit, Source, Wait string
	// AfterField names where After came from (the after parameter, or an
	// event stream's Last-Event-ID header), for the error.
	AfterField string
}

// Bounds of the change feed's query.
const (
	DefaultChangeLimit = 100
	MaxChangeLimit     = 1000
	MaxChangeWait      = 60 * time.Second
)

// Query checks the parameters: a bad one is invalid input naming it.
func (p ChangeParams) Query() (ChangeQuery, error) {
	q := ChangeQuery{Limit: DefaultChangeLimit}
	if p.After != "" {
		field := p.AfterField
		if field == "" {
			field = "after"
		}
		n, err := domain.ParseChangeCursor(field, p.After)
		if err != nil {
			return q, err
		}
		q.After = n
	}
	if p.Limit != "" {
		n, err := pageLimit(p.Limit, MaxChangeLimit)
		if err != nil {
			return q, err
		}
		q.Limit = n
	}
	if p.Wait != "" {
		d, err := time.ParseDuration(p.Wait)
		if err != nil || d < 0 || d > MaxChangeWait {
			return q, domain.InField("wait", fmt.Errorf("wait must be a duration from 0s to %s, such as 30s: %w", MaxChangeWait, domain.ErrInvalidInput))
		}
		q.Wait = d
	}
	source, err := sourceFilter(p.Source)
	q.Source = source
	return q, err
}

// ChangeReader reads the change feed's read model: up to limit changes
// after a cursor, oldest first, of one source when source is not "".
type ChangeReader interface {
	Changes(ctx context.Context, after int64, limit int, source domain.SourceID) ([]Change, error)
}

// ChangeWatch tells when the feed has grown (FeedWatcher): Head is the
// newest cursor it knows, WaitPast returns once that is beyond head.
type ChangeWatch interface {
	Head() int64
	WaitPast(ctx context.Context, head int64) error
}

// ListChanges answers GET /federation/changes. Readers are public where
// the catalogue is (the route says so, as for the plugin listing).
type ListChanges struct {
	Reader ChangeReader
	Watch  ChangeWatch
}

// Handle reads a page; with a Wait, an empty page waits for the feed to
// grow (holding no database connection meanwhile) and is read again. A
// filtered read may find the growth was another source's and wait again.
func (h ListChanges) Handle(ctx context.Context, q ChangeQuery) (ChangePage, error) {
	var waitCtx context.Context = ctx
	if q.Wait > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, q.Wait)
		defer cancel()
	}
	for {
		// The head before the read: a change committed after it wakes
		// the wait below even when the read already saw it (one more read).
		head := h.Watch.Head()
		changes, err := h.Reader.Changes(ctx, q.After, q.Limit+1, q.Source)
		if err != nil {
			return ChangePage{}, err
		}
		if len(changes) > 0 || q.Wait <= 0 {
			return pageOf(q, changes), nil
		}
		if err := h.Watch.WaitPast(waitCtx, head); err != nil {
			if waitCtx.Err() != nil && ctx.Err() == nil {
				return pageOf(q, nil), nil // waited long enough: nothing new
			}
			return ChangePage{}, err
		}
	}
}

// pageOf cuts the read (one more than asked) to the page.
func pageOf(q ChangeQuery, changes []Change) ChangePage {
	page := ChangePage{Changes: changes, Next: q.After}
	if len(changes) > q.Limit {
		page.Changes, page.More = changes[:q.Limit], true
	}
	if n := len(page.Changes); n > 0 {
		page.Next = page.Changes[n-1].Cursor
	}
	return page
}
