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
	Lag      int64    // events between Position and Head
	Poisoned int64    // events it skipped (poisoned_events)
}

// Status reports every projection's position, the head of the log and the
// lag between them, as consumers count it: only events of transactions that
// have ended.
func (r *Runner) Status(ctx context.Context) ([]ProjectionStatus, error) {
	var head Position
	err := r.pool.QueryRow(ctx, `SELECT transaction_id, global_position FROM events
		WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY transaction_id DESC, global_position DESC LIMIT 1`).Scan(&head.TransactionID, &head.GlobalPosition)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("head of the log: %w", err)
	}
	out := make([]ProjectionStatus, 0, len(r.projections))
	for _, p := range r.projections {
		st := ProjectionStatus{Name: p.Name(), Head: head}
		if st.Position, err = r.Checkpoint(ctx, st.Name); err != nil {
			return nil, err
		}
		if st.Position.Less(head) {
			if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM events
				WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
				  AND (transaction_id, global_position) <= ($3::xid8, $4::bigint)`,
				st.Position.TransactionID, st.Position.GlobalPosition, head.TransactionID, head.GlobalPosition).Scan(&st.Lag); err != nil {
				return nil, fmt.Errorf("lag of %q: %w", st.Name, err)
			}
		}
		if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM poisoned_events WHERE consumer_group = $1`,
			st.Name).Scan(&st.Poisoned); err != nil {
			return nil, fmt.Errorf("poisoned events of %q: %w", st.Name, err)
		}
		out = append(out, st)
	}
	return out, nil
}
