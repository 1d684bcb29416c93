package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CatalogPosition reads where the catalogue's read models stand, for the
// in-memory answers of the API (httpapi.Materialized): the checkpoints of
// the projections that write them, and the identity of each table they
// are read from. A rebuild swaps a table in at the checkpoint the old one
// had (eventstore.Rebuild), so the checkpoints alone would not move; the
// swapped-in table is another relation, with another oid. The listings
// read no table that is written outside a projection (sources,
// source_keys and mirrored_plugins are written only by theirs); a table
// that is should add a counter or max(updated_at) here.
type CatalogPosition struct {
	Pool        *pgxpool.Pool
	Projections []string // consumer groups
	Tables      []string // tables in public
}

// CatalogProjections and CatalogTables are what the listings and
// /federation-info are made of, the change feed's pages, and the
// transparency log (each listed version's log index, the log's routes).
var (
	CatalogProjections = []string{SourcesProjection, MirrorProjection, CatalogChangesProjection, TransparencyLogProjection}
	CatalogTables      = []string{"sources", "source_keys", "mirrored_plugins", "catalog_changes", "transparency_log"}
)

func (p CatalogPosition) Position(ctx context.Context) (string, error) {
	var pos string
	err := p.Pool.QueryRow(ctx, `SELECT
		coalesce((SELECT string_agg(consumer_group || '@' || last_processed_transaction_id::text || '/' || offset_acked, ','
			ORDER BY consumer_group) FROM event_consumer_offsets WHERE consumer_group = ANY($1)), '')
		|| '|' ||
		coalesce((SELECT string_agg(coalesce(to_regclass('public.' || quote_ident(t))::oid::text, '-'), ',' ORDER BY n)
			FROM unnest($2::text[]) WITH ORDINALITY AS x(t, n)), '')`, p.Projections, p.Tables).Scan(&pos)
	if err != nil {
		return "", fmt.Errorf("catalogue position: %w", err)
	}
	return pos, nil
}
