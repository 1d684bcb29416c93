package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// CatalogChangesProjection is the name (and checkpoint) of the change feed.
const CatalogChangesProjection = "catalog_changes"

// CatalogChanges keeps the change feed (GET /federation/changes): one row
// per catalogue change, numbered 1, 2, 3… in the order the log is applied.
// The number is the previous largest plus one, taken inside the
// projection's transaction: one consumer applies the log at a time, in its
// gap-free commit order, so a reader paging by seq never passes a change
// that commits later, and a rebuild numbers every change the same.
type CatalogChanges struct{}

func (CatalogChanges) Name() string { return CatalogChangesProjection }

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (CatalogChanges) Tables() []string {
	return []string{"catalog_changes", "catalog_change_versions"}
}

func (CatalogChanges) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE catalog_changes, catalog_change_versions`)
	return err
}

// Apply writes only through Exec (the runner pipelines it): the number and
// a version's bytes are looked up by the statement itself.
func (CatalogChanges) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	c, ok, err := catalogChangeOf(stored)
	if err != nil || !ok {
		return err
	}
	if c.Kind == domain.ChangeVersionMirrored {
		if _, err := tx.Exec(ctx, `INSERT INTO catalog_change_versions (source_id, plugin, version, sha256, size)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (source_id, plugin, version) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size`,
			string(c.Source), c.Plugin, c.Version, c.SHA256, c.Size); err != nil {
			return fmt.Errorf("catalog change of %s: %w", stored.ID, err)
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO catalog_changes (seq, event_id, kind, source_id, plugin, version, sha256, size, reason, at)
		SELECT (SELECT coalesce(max(seq), 0) + 1 FROM catalog_changes), $1, $2, $3, $4, $5,
			coalesce(v.sha256, ''), coalesce(v.size, 0), $6, $7
		FROM (VALUES (1)) one
		LEFT JOIN catalog_change_versions v ON $4 <> '' AND v.source_id = $3 AND v.plugin = $4 AND v.version = $5
		ON CONFLICT (event_id) DO NOTHING`,
		stored.ID, c.Kind.String(), string(c.Source), c.Plugin, c.Version, c.Reason, c.At)
	if err != nil {
		return fmt.Errorf("catalog change of %s: %w", stored.ID, err)
	}
	return nil
}

// catalogChangeOf decodes the events that change the catalogue; ok is false
// for every other (most of a rebuild's events are left undecoded).
func catalogChangeOf(stored eventstore.Event) (domain.CatalogChange, bool, error) {
	switch stored.Type {
	case domain.EventSourceSuspended, domain.EventSourceResumed, domain.EventSourceRemoved, domain.EventSourceUpstreamStatus:
		e, err := eventstore.DecodeAs[domain.SourceEvent](stored)
		if err != nil {
			return domain.CatalogChange{}, false, err
		}
		c, ok := domain.SourceChange(domain.SourceID(strings.TrimPrefix(stored.StreamID, "source-")), e)
		return c, ok, nil
	case domain.EventPluginMirrored, domain.EventPluginVersionUpdate, domain.EventPluginYanked,
		domain.EventPluginUnyanked, domain.EventPluginPruned:
		e, err := eventstore.DecodeAs[domain.PluginEvent](stored)
		if err != nil {
			return domain.CatalogChange{}, false, err
		}
		c, ok := domain.PluginChange(e)
		return c, ok, nil
	}
	return domain.CatalogChange{}, false, nil
}
