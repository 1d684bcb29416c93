package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Limits of one page of GET /federation/events.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// EventFilter selects events of the log for the audit; empty fields do not
// filter.
type EventFilter struct {
	// Source keeps everything about one source: its own stream and the
	// streams of its plugins and subscriptions (not the API keys' streams,
	// which belong to no source).
	Source domain.SourceID
	Stream string
	Type   string
	Actor  string    // an API key id (or a component such as "cli")
	From   time.Time // recorded at or after
	To     time.Time // recorded before
}

// AuditEvent is a stored event as the audit shows it.
type AuditEvent struct {
	Position      int64
	ID            string
	Stream        string
	StreamVersion int64
	Type          string
	SchemaVersion int
	RecordedAt    time.Time
	Metadata      AuditMetadata
	Data          json.RawMessage
	// Cursor continues a listing after this event.
	Cursor string
}

// AuditMetadata is who caused an event. Events never hold secrets: the
// actor is a key's id, never the key.
type AuditMetadata struct {
	Actor         string
	CorrelationID string
	CausationID   string
	RequestID     string
}

// EventLog reads the whole log for the audit.
type EventLog interface {
	// ReadEvents returns up to limit events that match f and come after the
	// cursor in the order consumers read the log, only events whose
	// transactions have ended (so paging never skips one). after is ""
	// (the start), a cursor of a previous event or a bare position; one that
	// names no event is domain.ErrInvalidInput.
	ReadEvents(ctx context.Context, f EventFilter, after string, limit int) ([]AuditEvent, error)
}

// EventPage is one page of the audit; Next is empty at the end.
type EventPage struct {
	Events []AuditEvent
	Next   string
}

// ListEvents answers GET /federation/events and pfn events list|export.
type ListEvents struct{ Log EventLog }

// Authorize: only admins read the audit.
func (h ListEvents) Authorize(by Principal) error { return requireAdmin(by) }

// Handle returns one page of at most limit events (1 to MaxEventLimit).
func (h ListEvents) Handle(ctx context.Context, by Principal, f EventFilter, after string, limit int) (EventPage, error) {
	if err := checkEventQuery(by, f, limit); err != nil {
		return EventPage{}, err
	}
	// One more than asked tells whether there is a next page.
	events, err := h.Log.ReadEvents(ctx, f, after, limit+1)
	if err != nil {
		// The filter and limit were checked: invalid input now is the cursor.
		return EventPage{}, domain.InField("after", err)
	}
	page := EventPage{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		page.Next = events[limit-1].Cursor
	}
	return page, nil
}

// Export hands every matching event to emit, a page at a time, until the
// log ends or limit events went out (0: no limit). The first page is read
// before emit is first called, so a bad request fails before any output.
func (h ListEvents) Export(ctx context.Context, by Principal, f EventFilter, after string, limit int,
	emit func([]AuditEvent) error) error {
	if limit != 0 {
		if err := checkEventQuery(by, f, limit); err != nil {
			return err
		}
	} else if err := checkEventQuery(by, f, 1); err != nil {
		return err
	}
	sent := 0
	for {
		n := MaxEventLimit
		if limit > 0 {
			n = min(n, limit-sent)
		}
		events, err := h.Log.ReadEvents(ctx, f, after, n)
		if err != nil {
			return domain.InField("after", err)
		}
		if len(events) > 0 {
			if err := emit(events); err != nil {
				return err
			}
		}
		sent += len(events)
		if len(events) < n || (limit > 0 && sent >= limit) {
			return nil
		}
		after = events[len(events)-1].Cursor
	}
}

func checkEventQuery(by Principal, f EventFilter, limit int) error {
	if err := (ListEvents{}).Authorize(by); err != nil {
		return err
	}
	if limit < 1 || limit > MaxEventLimit {
		return domain.InField("limit", fmt.Errorf("limit: %d is not between 1 and %d: %w", limit, MaxEventLimit, domain.ErrInvalidInput))
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return domain.InField("to", fmt.Errorf("to: %s is before from (%s): %w", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339), domain.ErrInvalidInput))
	}
	return nil
}
