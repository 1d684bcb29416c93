package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// lagCap bounds the count: past it the exact figure does not matter and
// counting would cost a scan of the log.
const lagCap = 1_000_000

// Lag counts, per projection, the committed events it has not applied: the
// events after its checkpoint in commit order. It includes events that
// consumers may not read yet because an older transaction is still open
// (the xmin barrier, ARCHITECTURE.md): they are lag all the same. A
// projection without a checkpoint lags by the whole log.
type Lag struct {
	Pool        *pgxpool.Pool
	Projections []string
}

func (l Lag) Lag(ctx context.Context) (map[string]int64, error) {
	rows, err := l.Pool.Query(ctx, `
		SELECT p.name, (SELECT count(*) FROM (
			SELECT 1 FROM events e
			WHERE (e.transaction_id, e.global_position) >
			      (coalesce(o.last_processed_transaction_id, '0'::xid8), coalesce(o.offset_acked, 0))
			LIMIT $2) x)
		FROM unnest($1::text[]) AS p(name)
		LEFT JOIN event_consumer_offsets o ON o.consumer_group = p.name`, l.Projections, lagCap)
	if err != nil {
		return nil, fmt.Errorf("projection lag: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(l.Projections))
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
