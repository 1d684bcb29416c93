package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
)

// keyHistories reads the key history of the sources with the given ids
// (every source when ids is nil), oldest key first.
func keyHistories(ctx context.Context, pool *pgxpool.Pool, ids []string) (map[string][]app.KeyPeriodView, error) {
	rows, err := pool.Query(ctx, `SELECT source_id, key_id, public_key, valid_from, valid_until, rotated_by
		FROM source_keys WHERE $1::text[] IS NULL OR source_id = ANY($1)
		ORDER BY source_id, valid_from, valid_until NULLS LAST`, ids)
	if err != nil {
		return nil, fmt.Errorf("key history: %w", err)
	}
	defer rows.Close()
	out := map[string][]app.KeyPeriodView{}
	for rows.Next() {
		var id string
		var k app.KeyPeriodView
		var until *time.Time
		if err := rows.Scan(&id, &k.KeyID, &k.PublicKey, &k.ValidFrom, &until, &k.RotatedBy); err != nil {
			return nil, fmt.Errorf("key history: %w", err)
		}
		k.ValidFrom = k.ValidFrom.UTC()
		if until != nil {
			u := until.UTC()
			k.ValidUntil = &u
		}
		out[id] = append(out[id], k)
	}
	return out, rows.Err()
}

// withKeyHistories fills the key history of every view.
func withKeyHistories(ctx context.Context, pool *pgxpool.Pool, views []app.SourceView, ids []string) error {
	histories, err := keyHistories(ctx, pool, ids)
	if err != nil {
		return err
	}
	for i := range views {
		views[i].KeyHistory = histories[views[i].ID]
	}
	return nil
}
