package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// ActivityReader reads the activity table.
type ActivityReader struct{ Pool *pgxpool.Pool }

func (r ActivityReader) Activity(ctx context.Context, source domain.SourceID, before int64, limit int) ([]app.ActivityEntry, error) {
	rows, err := r.Pool.Query(ctx, `SELECT seq, event_id::text, position, at, kind, source_id, plugin, summary
		FROM activity WHERE ($1 = '' OR source_id = $1) AND ($2::bigint = 0 OR seq < $2::bigint)
		ORDER BY seq DESC LIMIT $3`, string(source), before, limit)
	if err != nil {
		return nil, fmt.Errorf("read activity: %w", err)
	}
	defer rows.Close()
	out := []app.ActivityEntry{}
	for rows.Next() {
		var e app.ActivityEntry
		if err := rows.Scan(&e.Seq, &e.ID, &e.Position, &e.At, &e.Kind, &e.SourceID, &e.Plugin, &e.Summary); err != nil {
			return nil, fmt.Errorf("read activity: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
