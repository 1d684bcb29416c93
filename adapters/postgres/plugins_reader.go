package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// PluginReader reads mirrored_plugins.
type PluginReader struct{ Pool *pgxpool.Pool }

const pluginColumns = `id, plugin_id, source_id, name, version, coalesce(description, ''), tags, sha256, size,
	mirror_date, mirrored_at, signature, federation_signature, node_key_id, local_path, prune_reason, copy_damage, copy_damage_at,
	yank_reason, yanked_at, signature_v2, bytes_attested_by, federation_signature_v2, publisher_key, provenance,
	coalesce((SELECT s.status FROM sources s WHERE s.id = mirrored_plugins.source_id), ''),
	coalesce((SELECT s.quarantined FROM sources s WHERE s.id = mirrored_plugins.source_id), false),
	(SELECT max(l.idx) FROM transparency_log l WHERE l.source_id = mirrored_plugins.source_id
		AND l.plugin = mirrored_plugins.plugin_id AND l.version = mirrored_plugins.version)`

func scanPlugin(row pgx.CollectableRow) (app.PluginView, error) {
	var v app.PluginView
	err := row.Scan(&v.ID, &v.Plugin, &v.SourceID, &v.Name, &v.Version, &v.Description, &v.Tags, &v.SHA256, &v.Size,
		&v.MirrorDate, &v.MirroredAt, &v.PublisherSignature, &v.FederationSignature, &v.NodeKeyID, &v.BlobKey, &v.Pruned,
		&v.StoredCopy.Damage, &v.StoredCopy.FoundAt, &v.Yanked, &v.YankedAt, &v.PublisherSignatureV2, &v.BytesAttestedBy,
		&v.FederationSignatureV2, &v.PublisherKey, &v.Provenance, &v.SourceStatus, &v.SourceQuarantined, &v.LogIndex)
	v.StoredCopy.OK = v.StoredCopy.Damage == ""
	return v, err
}

// ListPlugins pages by id, which never changes for a row: a cursor stays
// valid however many plugins are mirrored meanwhile.
func (r PluginReader) ListPlugins(ctx context.Context, q app.PluginQuery) ([]app.PluginView, error) {
	rows, err := r.Pool.Query(ctx, `SELECT `+pluginColumns+` FROM mirrored_plugins
		WHERE id > $1 AND pruned_at IS NULL AND ($6 OR yanked_at IS NULL)
		  AND ($2 = '' OR source_id = $2)
		  AND ($3 = '' OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(tags) AS t(tag) WHERE lower(t.tag) = lower($3)))
		  AND ($4 = '' OR strpos(lower(name || ' ' || plugin_id || ' ' || coalesce(description, '')), lower($4)) > 0)
		  AND ($7 OR NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = mirrored_plugins.source_id AND s.quarantined))
		  AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = mirrored_plugins.source_id AND s.upstream_status <> '')
		ORDER BY id LIMIT $5`, q.After, q.Source, q.Tag, q.Text, q.Limit, q.IncludeYanked, q.IncludeQuarantined)
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanPlugin)
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	if out == nil {
		out = []app.PluginView{}
	}
	return out, nil
}

// StoredVersions lists the versions of a source whose files are kept,
// oldest mirrored first (the quota prunes in that order).
func (r PluginReader) StoredVersions(ctx context.Context, source domain.SourceID) ([]app.StoredVersion, error) {
	rows, err := r.Pool.Query(ctx, `SELECT plugin_id, version, size, sha256, local_path, copy_damage <> '' FROM mirrored_plugins
		WHERE source_id = $1 AND pruned_at IS NULL ORDER BY mirrored_at, id`, string(source))
	if err != nil {
		return nil, fmt.Errorf("stored versions of %s: %w", source, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.StoredVersion, error) {
		var v app.StoredVersion
		err := row.Scan(&v.Plugin, &v.Version, &v.Size, &v.SHA256, &v.BlobKey, &v.Damaged)
		return v, err
	})
}

func (r PluginReader) PluginVersions(ctx context.Context, source, plugin string) ([]app.PluginView, error) {
	rows, err := r.Pool.Query(ctx, `SELECT `+pluginColumns+` FROM mirrored_plugins
		WHERE source_id = $1 AND plugin_id = $2 ORDER BY id`, source, plugin)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", plugin, err)
	}
	return pgx.CollectRows(rows, scanPlugin)
}
