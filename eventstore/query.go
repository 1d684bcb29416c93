package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

// Filter selects events of the log for reading it whole (the audit). Empty
// fields do not filter.
type Filter struct {
	// StreamPrefixes keeps events of streams named exactly Streams, or
	// starting with one of StreamPrefixes; both empty keeps every stream.
	Streams        []string
	StreamPrefixes []string
	Type           string
	Actor          string    // metadata.actor: an API key id or a component
	From           time.Time // recorded at or after
	To             time.Time // recorded before
}

// Query returns up to limit events that match f and come after pos in
// commit order, like ReadBatch: only events of transactions below the
// snapshot's xmin, so paging with the last event's Position never skips an
// event that commits late.
//
// Pages are ordered by (transaction id, global position), not by global
// position alone: a transaction that took a lower global position can commit
// after one with a higher position, and a reader paging "position > last"
// would skip it forever. No xmin filter makes such paging safe, because the
// late event is invisible until it commits.
func (s *Store) Query(ctx context.Context, f Filter, after Position, limit int) ([]Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("query log: limit %d: %w", limit, domain.ErrInvalidInput)
	}
	args := []any{after.TransactionID, after.GlobalPosition}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where strings.Builder
	if len(f.Streams) > 0 || len(f.StreamPrefixes) > 0 {
		// starts_with, not LIKE: stream names may hold '_' (hosts do).
		var alts []string
		if len(f.Streams) > 0 {
			alts = append(alts, "stream_id = ANY("+arg(f.Streams)+"::text[])")
		}
		for _, p := range f.StreamPrefixes {
			alts = append(alts, "starts_with(stream_id, "+arg(p)+"::text)")
		}
		where.WriteString(" AND (" + strings.Join(alts, " OR ") + ")")
	}
	if f.Type != "" {
		where.WriteString(" AND event_type = " + arg(f.Type))
	}
	if f.Actor != "" {
		where.WriteString(" AND metadata->>'actor' = " + arg(f.Actor))
	}
	if !f.From.IsZero() {
		where.WriteString(" AND recorded_at >= " + arg(f.From))
	}
	if !f.To.IsZero() {
		where.WriteString(" AND recorded_at < " + arg(f.To))
	}
	sql := `SELECT ` + eventColumns + ` FROM events
		WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
		  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())` + where.String() + `
		ORDER BY transaction_id, global_position
		LIMIT ` + arg(limit)
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query log after %v: %w", after, err)
	}
	return collectN(rows, "query log", min(limit, 1000))
}

// Cursor is a Position written for clients: "GLOBALPOSITION-TRANSACTIONID".
// The global position comes first because it is the number clients know an
// event by; the transaction id is what makes paging safe.
func Cursor(p Position) string {
	return strconv.FormatInt(p.GlobalPosition, 10) + "-" + strconv.FormatUint(p.TransactionID, 10)
}

// ErrStaleCursor means a cursor names no stored event: it is malformed for
// this log, or its transaction id was rewritten (pfn events restamp) since.
var ErrStaleCursor = errors.New("cursor does not match the log")

// ResolveCursor turns what a client sent as "after" into a Position: a
// cursor (Cursor), or a bare global position, looked up. "" and "0" are the
// start of the log. Both forms are checked against the log, so a cursor
// made before a restamp fails instead of silently skipping events.
func (s *Store) ResolveCursor(ctx context.Context, after string) (Position, error) {
	if after == "" || after == "0" {
		return Position{}, nil
	}
	gp, tx, hasTx := strings.Cut(after, "-")
	pos, err := strconv.ParseInt(gp, 10, 64)
	if err != nil || pos <= 0 {
		return Position{}, fmt.Errorf("%q is neither a position nor a cursor: %w", after, domain.ErrInvalidInput)
	}
	if !hasTx {
		// No index on global_position alone (appends would pay for it); this
		// scans, once per listing, not per page.
		var p Position
		err := s.db.QueryRow(ctx, `SELECT transaction_id, global_position FROM events WHERE global_position = $1`, pos).
			Scan(&p.TransactionID, &p.GlobalPosition)
		if errors.Is(err, pgx.ErrNoRows) {
			return Position{}, fmt.Errorf("no event at position %d: %w", pos, domain.ErrInvalidInput)
		}
		if err != nil {
			return Position{}, fmt.Errorf("look up position %d: %w", pos, err)
		}
		return p, nil
	}
	txid, err := strconv.ParseUint(tx, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("%q is neither a position nor a cursor: %w", after, domain.ErrInvalidInput)
	}
	p := Position{TransactionID: txid, GlobalPosition: pos}
	var found bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE transaction_id = $1::xid8 AND global_position = $2)`,
		txid, pos).Scan(&found); err != nil {
		return Position{}, fmt.Errorf("check cursor %q: %w", after, err)
	}
	if !found {
		return Position{}, fmt.Errorf("%q (a cursor made before pfn events restamp? page again from position %d): %w: %w",
			after, pos, ErrStaleCursor, domain.ErrInvalidInput)
	}
	return p, nil
}
