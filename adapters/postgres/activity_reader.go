package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
)

// ActivityReader reads the activity table.
type ActivityReader struct{ Pool *pgxpool.Pool }

func (r ActivityReader) Activity(ctx context.Context, q app.ActivityQuery) ([]app.ActivityEntry, error) {
	rows, err := r.Pool.Query(ctx, `SELECT seq, event_id::text, position, at, kind, source_id, plugin, summary,
			source_username, plugin_name, old_version, new_version
		FROM activity WHERE ($1 = '' OR source_id = $1) AND ($2::bigint = 0 OR seq < $2::bigint)
			AND (coalesce(cardinality($5::text[]), 0) = 0 OR kind = ANY($5::text[]))
		ORDER BY seq DESC LIMIT $3 OFFSET $4`, string(q.Source), q.Before, q.Limit, q.Offset, q.Kinds)
	if err != nil {
		return nil, fmt.Errorf("read activity: %w", err)
	}
	defer rows.Close()
	out := []app.ActivityEntry{}
	for rows.Next() {
		var e app.ActivityEntry
		if err := rows.Scan(&e.Seq, &e.ID, &e.Position, &e.At, &e.Kind, &e.SourceID, &e.Plugin, &e.Summary,
			&e.SourceUsername, &e.PluginName, &e.OldVersion, &e.NewVersion); err != nil {
			return nil, fmt.Errorf("read activity: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
