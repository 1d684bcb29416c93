package eventstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const eventColumns = `event_id, stream_id, stream_version, event_type, schema_version, payload, metadata,
	recorded_at, global_position, transaction_id`

func scanEvent(row pgx.Row) (Event, error) {
	var e Event
	var payload []byte
	err := row.Scan(&e.ID, &e.StreamID, &e.StreamVersion, &e.Type, &e.SchemaVersion, &payload, &e.Metadata,
		&e.RecordedAt, &e.GlobalPosition, &e.TransactionID)
	e.Payload = payload
	return e, err
}

func collect(rows pgx.Rows, what string) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Load returns every event of a stream in version order; none for a stream
// that does not exist.
func (s *Store) Load(ctx context.Context, streamID string) ([]Event, error) {
	return s.LoadFrom(ctx, streamID, 0)
}

// LoadFrom returns the stream's events with a version above afterVersion (to
// continue from a snapshot).
func (s *Store) LoadFrom(ctx context.Context, streamID string, afterVersion int64) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`, streamID, afterVersion)
	if err != nil {
		return nil, fmt.Errorf("load %q: %w", streamID, err)
	}
	return collect(rows, fmt.Sprintf("load %q", streamID))
}

// ReadBatch returns up to limit events that come after pos in commit order.
// It returns only events of transactions that have ended, so a reader that
// pages with the last event's Position never misses one that commits late.
func (s *Store) ReadBatch(ctx context.Context, after Position, limit int) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
		  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY transaction_id, global_position
		LIMIT $3`, after.TransactionID, after.GlobalPosition, limit)
	if err != nil {
		return nil, fmt.Errorf("read log after %v: %w", after, err)
	}
	return collect(rows, "read log")
}
