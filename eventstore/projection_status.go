package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ProjectionStatus is where a projection stands against the log.
type ProjectionStatus struct {
	Name     string
	Position Position // the last event it applied (zero before the first)
	Head     Position // the last event a consumer may read now
	Lag      int64    // committed events after Position (Lag says which)
	Poisoned int64    // events it skipped (poisoned_events)
}

// Status reports every projection's position, the head of the log (what
// consumers may read now) and the lag.
func (r *Runner) Status(ctx context.Context) ([]ProjectionStatus, error) {
	var head Position
	err := r.pool.QueryRow(ctx, `SELECT transaction_id, global_position FROM events
		WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY transaction_id DESC, global_position DESC LIMIT 1`).Scan(&head.TransactionID, &head.GlobalPosition)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("head of the log: %w", err)
	}
	lags, err := r.Lag(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectionStatus, 0, len(r.projections))
	for _, p := range r.projections {
		st := ProjectionStatus{Name: p.Name(), Head: head}
		if st.Position, err = r.Checkpoint(ctx, st.Name); err != nil {
			return nil, err
		}
		st.Lag = lags[st.Name]
		if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM poisoned_events WHERE consumer_group = $1`,
			st.Name).Scan(&st.Poisoned); err != nil {
			return nil, fmt.Errorf("poisoned events of %q: %w", st.Name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// lagCap bounds the count: past it the exact figure does not matter and
// counting would cost a scan of the log.
const lagCap = 1_000_000

// Lag counts, per projection, the committed events it has not applied: the
// events after its checkpoint in commit order. It includes events that
// consumers may not read yet because an older transaction is still open
// (the xmin barrier, ARCHITECTURE.md): they are lag all the same. A
// projection without a checkpoint lags by the whole log. /metrics, /readyz
// and pfn projections status all read it here.
func (r *Runner) Lag(ctx context.Context) (map[string]int64, error) {
	names := make([]string, len(r.projections))
	for i, p := range r.projections {
		names[i] = p.Name()
	}
	rows, err := r.pool.Query(ctx, `
		SELECT p.name, (SELECT count(*) FROM (
			SELECT 1 FROM events e
			WHERE (e.transaction_id, e.global_position) >
			      (coalesce(o.last_processed_transaction_id, '0'::xid8), coalesce(o.offset_acked, 0))
			LIMIT $2) x)
		FROM unnest($1::text[]) AS p(name)
		LEFT JOIN event_consumer_offsets o ON o.consumer_group = p.name`, names, lagCap)
	if err != nil {
		return nil, fmt.Errorf("projection lag: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(names))
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("projection lag: %w", err)
		}
		out[name] = n
	}
	return out, rows.Err()
}
