package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// ChangeFeed reads the change feed's read model.
type ChangeFeed struct{ Pool *pgxpool.Pool }

// Changes lists up to limit changes after a cursor, oldest first.
func (f ChangeFeed) Changes(ctx context.Context, after int64, limit int, source domain.SourceID) ([]app.Change, error) {
	rows, err := f.Pool.Query(ctx, `SELECT seq, kind, source_id, plugin, version, sha256, size, reason, at
		FROM catalog_changes WHERE seq > $1 AND ($2 = '' OR source_id = $2) ORDER BY seq LIMIT $3`,
		after, string(source), limit)
	if err != nil {
		return nil, fmt.Errorf("read the change feed: %w", err)
	}
	var (
		c    app.Change
		kind string
		id   string
		at   time.Time
	)
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.Change, error) {
		c = app.Change{}
		if err := row.Scan(&c.Cursor, &kind, &id, &c.Plugin, &c.Version, &c.SHA256, &c.Size, &c.Reason, &at); err != nil {
			return c, err
		}
		k, err := domain.ParseChangeKind(kind)
		if err != nil {
			return c, fmt.Errorf("change %d: %w", c.Cursor, err)
		}
		c.Kind, c.Source, c.At = k, domain.SourceID(id), at.UTC()
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the change feed: %w", err)
	}
	return changes, nil
}

// FeedHead is the newest cursor (0 while the feed is empty): one look at
// the primary key's end.
func (f ChangeFeed) FeedHead(ctx context.Context) (int64, error) {
	var head int64
	if err := f.Pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM catalog_changes`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read the change feed's head: %w", err)
	}
	return head, nil
}
