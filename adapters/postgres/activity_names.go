package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

// pluginKey names one plugin of one source.
type pluginKey struct {
	source domain.SourceID
	plugin string
}

// pluginNames is the activity projection's memory of the plugins mirrored
// so far (activity_plugins), for one batch: the ones the batch names,
// loaded once, and the ones it changed, saved once.
type pluginNames struct {
	byKey   map[pluginKey]string
	changed map[pluginKey]bool // true: saved with its name; false: forgotten
}

func (n pluginNames) known(source domain.SourceID, plugin string) bool {
	_, ok := n.byKey[pluginKey{source, plugin}]
	return ok
}

func (n pluginNames) name(source domain.SourceID, plugin string) string {
	return n.byKey[pluginKey{source, plugin}]
}

// mirrored remembers a mirrored version's name (the newest mirror's name wins).
func (n pluginNames) mirrored(source domain.SourceID, plugin, name string) {
	k := pluginKey{source, plugin}
	if old, ok := n.byKey[k]; !ok || old != name {
		n.byKey[k] = name
		n.changed[k] = true
	}
}

// forget drops a plugin whose source was removed: its next incarnation's
// first mirror shows as a first mirror again.
func (n pluginNames) forget(source domain.SourceID, plugin string) {
	k := pluginKey{source, plugin}
	delete(n.byKey, k)
	n.changed[k] = false
}

// loadPluginNames reads what activity_plugins remembers of the plugins the
// batch's plugin events name.
func loadPluginNames(ctx context.Context, tx pgx.Tx, batch []decodedActivity) (pluginNames, error) {
	n := pluginNames{byKey: map[pluginKey]string{}, changed: map[pluginKey]bool{}}
	seen := map[pluginKey]bool{}
	var sources, plugins []string
	for _, d := range batch {
		if d.plugin == nil {
			continue
		}
		k, ok := keyOf(d.stored.StreamID)
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		sources, plugins = append(sources, string(k.source)), append(plugins, k.plugin)
	}
	if len(sources) == 0 {
		return n, nil
	}
	rows, err := tx.Query(ctx, `SELECT a.source_id, a.plugin, a.name FROM activity_plugins a
		JOIN unnest($1::text[], $2::text[]) AS k(source_id, plugin) USING (source_id, plugin)`, sources, plugins)
	if err != nil {
		return n, fmt.Errorf("read activity plugin names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, plugin, name string
		if err := rows.Scan(&source, &plugin, &name); err != nil {
			return n, fmt.Errorf("read activity plugin names: %w", err)
		}
		n.byKey[pluginKey{domain.SourceID(source), plugin}] = name
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read activity plugin names: %w", err)
	}
	return n, nil
}

// save writes the names the batch changed, with one statement.
func (n pluginNames) save(ctx context.Context, tx pgx.Tx) error {
	if len(n.changed) == 0 {
		return nil
	}
	var sources, plugins, names, goneSources, gonePlugins []string
	for k, kept := range n.changed {
		if !kept {
			goneSources, gonePlugins = append(goneSources, string(k.source)), append(gonePlugins, k.plugin)
			continue
		}
		sources, plugins, names = append(sources, string(k.source)), append(plugins, k.plugin), append(names, n.byKey[k])
	}
	_, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM activity_plugins a USING unnest($4::text[], $5::text[]) AS k(source_id, plugin)
			WHERE a.source_id = k.source_id AND a.plugin = k.plugin)
		INSERT INTO activity_plugins (source_id, plugin, name)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT (source_id, plugin) DO UPDATE SET name = EXCLUDED.name`, sources, plugins, names, goneSources, gonePlugins)
	if err != nil {
		return fmt.Errorf("save activity plugin names: %w", err)
	}
	return nil
}

// keyOf is the (source, plugin) a plugin stream belongs to (pluginStream
// made its id; neither a source id nor a slug contains '/').
func keyOf(streamID string) (pluginKey, bool) {
	source, plugin, ok := strings.Cut(strings.TrimPrefix(streamID, "plugin-"), "/")
	return pluginKey{domain.SourceID(source), plugin}, ok
}
