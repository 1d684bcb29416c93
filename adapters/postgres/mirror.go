package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// MirrorProjection is the name of the mirrored_plugins read model.
const MirrorProjection = "mirrored_plugins"

func pluginStream(source domain.SourceID, plugin string) string {
	return "plugin-" + string(source) + "/" + plugin
}

// PluginHistories stores per-plugin mirror histories as event streams.
type PluginHistories struct {
	Pool   *pgxpool.Pool
	Store  *eventstore.Store // for loading
	Waiter Waiter
}

// PluginSlugs lists the plugins of source that have a stream, in order:
// every plugin it ever mirrored or refused. It reads the streams' first
// events, not a read model, so a removal right after a sync misses none;
// it scans, which a removal (an admin's, rare) can afford.
func (r PluginHistories) PluginSlugs(ctx context.Context, source domain.SourceID) ([]string, error) {
	prefix := pluginStreamPrefix(source)
	rows, err := r.Pool.Query(ctx, `SELECT substr(stream_id, length($1::text) + 1) FROM events
		WHERE stream_version = 1 AND starts_with(stream_id, $1::text) ORDER BY 1`, prefix)
	if err != nil {
		return nil, fmt.Errorf("list the plugins of %s: %w", source, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// LoadAll loads the histories of several plugins of a source in one query.
func (r PluginHistories) LoadAll(ctx context.Context, source domain.SourceID, plugins []string) (map[string]*domain.PluginHistory, error) {
	streams := make([]string, len(plugins))
	for i, p := range plugins {
		streams[i] = pluginStream(source, p)
	}
	stored, err := r.Store.LoadMany(ctx, streams)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*domain.PluginHistory, len(plugins))
	for i, p := range plugins {
		h, err := historyFrom(source, p, stored[streams[i]])
		if err != nil {
			return nil, err
		}
		out[p] = h
	}
	return out, nil
}

func historyFrom(source domain.SourceID, plugin string, stored []eventstore.Event) (*domain.PluginHistory, error) {
	history, err := eventstore.DecodeStream[domain.PluginEvent](stored)
	if err != nil {
		return nil, err
	}
	h := domain.NewPluginHistory(source, plugin)
	h.Load(history)
	return h, nil
}

// SaveAll records a sync: every history's changes and the source's, in one
// transaction and one round trip, then waits for the mirror and sources read
// models together. A stale source version is a conflict (domain.ErrConflict)
// and nothing is written.
func (r PluginHistories) SaveAll(ctx context.Context, hs []*domain.PluginHistory, source *domain.Source) error {
	feedChanged, logged := changesCatalog(hs, source), signsStatements(hs)
	var appends []eventstore.StreamAppend
	for _, h := range hs {
		if len(h.Changes()) == 0 {
			continue
		}
		events, err := eventstore.EncodeAll(h.Changes())
		if err != nil {
			return err
		}
		appends = append(appends, eventstore.StreamAppend{StreamID: pluginStream(h.Source, h.Plugin), Expected: h.Version(), Events: events})
	}
	sourceAt := len(appends)
	if changes := source.Changes(); len(changes) > 0 {
		events, err := eventstore.EncodeAll(changes)
		if err != nil {
			return err
		}
		appends = append(appends, eventstore.StreamAppend{StreamID: sourceStream(source.State().ID), Expected: source.Version(), Events: events})
	}
	if len(appends) == 0 {
		return nil
	}
	var results []eventstore.Appended
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		var err error
		results, err = eventstore.New(tx).AppendMany(ctx, appends)
		return err
	})
	if err != nil {
		return err
	}
	for _, h := range hs {
		h.MarkSaved()
	}
	source.MarkSaved()
	var mirrorAt, sourcesAt eventstore.Position
	for i, res := range results {
		if i < sourceAt {
			mirrorAt = maxPosition(mirrorAt, res.Position)
		} else {
			sourcesAt = res.Position
		}
	}
	// The waits at once: each wakes its own consumer, and they run side by
	// side (one after the other cost twice as long).
	mirrorShown, feedShown, logShown := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { mirrorShown <- r.Waiter.WaitFor(ctx, MirrorProjection, mirrorAt) }()
	go func() { feedShown <- waitForFeed(ctx, r.Waiter, feedChanged, maxPosition(mirrorAt, sourcesAt)) }()
	go func() { logShown <- waitForLog(ctx, r.Waiter, logged, mirrorAt) }()
	err = r.Waiter.WaitFor(ctx, SourcesProjection, sourcesAt)
	return errors.Join(<-mirrorShown, <-feedShown, <-logShown, err)
}

// signsStatements says whether a sync logs a statement (a version mirrored
// with the node's v2 signature).
func signsStatements(hs []*domain.PluginHistory) bool {
	for _, h := range hs {
		for _, e := range h.Changes() {
			if m, ok := e.(domain.PluginMirrored); ok && m.FederationSignatureV2 != "" {
				return true
			}
		}
	}
	return false
}

// waitForLog waits, when a sync signed statements, until the transparency
// log holds them: the listings a subscribe answers with, and the catalogue
// right after a sync, carry each version's log index.
func waitForLog(ctx context.Context, w Waiter, logged bool, pos eventstore.Position) error {
	if !logged {
		return nil
	}
	err := w.WaitFor(ctx, TransparencyLogProjection, pos)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // the log is off (PFN_TRANSPARENCY_LOG=off), or a tool or test runs without it
	}
	return err
}

// changesCatalog says whether events change the catalogue (the change
// feed lists them).
func changesCatalog(hs []*domain.PluginHistory, source *domain.Source) bool {
	for _, h := range hs {
		for _, e := range h.Changes() {
			if _, ok := domain.PluginChange(e); ok {
				return true
			}
		}
	}
	for _, e := range source.Changes() {
		if _, ok := domain.SourceChange(source.State().ID, e); ok {
			return true
		}
	}
	return false
}

// waitForFeed waits, when a write changed the catalogue, until the change
// feed shows it: a node that follows this one's feed and is asked to sync
// at once (a yank here, then a sync there) finds the change in the feed.
func waitForFeed(ctx context.Context, w Waiter, changed bool, pos eventstore.Position) error {
	if !changed {
		return nil
	}
	err := w.WaitFor(ctx, CatalogChangesProjection, pos)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // a runner without the feed (a tool, a test): nobody reads it here
	}
	return err
}

// storedCopyVerdict remembers what the recheck last found of a stored
// copy ("" and no time: good).
func storedCopyVerdict(ctx context.Context, tx pgx.Tx, source domain.SourceID, plugin, version, damage string, at *time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE mirrored_plugins SET copy_damage = $4, copy_damage_at = $5
		WHERE source_id = $1 AND plugin_id = $2 AND version = $3`, string(source), plugin, version, damage, at)
	return err
}

func maxPosition(a, b eventstore.Position) eventstore.Position {
	if a.Less(b) {
		return b
	}
	return a
}

// MirrorProjectionHandler keeps mirrored_plugins and plugin_problems.
type MirrorProjectionHandler struct {
	// copyAt is how many mirrored versions in a run make ApplyBatch write
	// them with COPY (0: copyRunAt); tests set 1 to take that path always.
	copyAt int
}

func (h MirrorProjectionHandler) copyFrom() int {
	if h.copyAt > 0 {
		return h.copyAt
	}
	return copyRunAt
}

func (MirrorProjectionHandler) Name() string { return MirrorProjection }

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (MirrorProjectionHandler) Tables() []string {
	return []string{"mirrored_plugins", "plugin_problems"}
}

func (MirrorProjectionHandler) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE mirrored_plugins, plugin_problems`)
	return err
}

func (h MirrorProjectionHandler) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	if !strings.HasPrefix(stored.StreamID, "plugin-") {
		return nil // another aggregate's event
	}
	e, err := eventstore.DecodeAs[domain.PluginEvent](stored)
	if err != nil {
		return err
	}
	if p, ok := problemOf(e); ok {
		var ps problems // one problem: the same statement as a batch's
		ps.add(p)
		err = ps.flush(ctx, tx)
	}
	switch e := e.(type) {
	case domain.PluginMirrored:
		var run mirroredRun // a run of one: the same statement as a batch's
		run.add(e)
		err = run.flush(ctx, tx, h.copyFrom())
	case domain.PluginPruned:
		_, err = tx.Exec(ctx, `UPDATE mirrored_plugins SET pruned_at = $4, prune_reason = $5
			WHERE source_id = $1 AND plugin_id = $2 AND version = $3`, string(e.SourceID), e.Plugin, e.Version, e.At, e.Reason)
	case domain.PluginStoredCopyDamaged:
		err = storedCopyVerdict(ctx, tx, e.SourceID, e.Plugin, e.Version, e.Reason(), &e.At)
	case domain.PluginStoredCopyRestored:
		err = storedCopyVerdict(ctx, tx, e.SourceID, e.Plugin, e.Version, "", nil)
	case domain.PluginYanked:
		_, err = tx.Exec(ctx, `UPDATE mirrored_plugins SET yanked_at = $4, yank_reason = $5
			WHERE source_id = $1 AND plugin_id = $2 AND version = $3`, string(e.SourceID), e.Plugin, e.Version, e.At, e.Reason)
	case domain.PluginUnyanked:
		_, err = tx.Exec(ctx, `UPDATE mirrored_plugins SET yanked_at = NULL, yank_reason = ''
			WHERE source_id = $1 AND plugin_id = $2 AND version = $3`, string(e.SourceID), e.Plugin, e.Version)
	case domain.PluginSourceRemoved:
		// The removed incarnation's versions leave the catalogue (the
		// events keep them); downloads answer 410 from the source's row.
		_, err = tx.Exec(ctx, `WITH gone AS (DELETE FROM mirrored_plugins WHERE source_id = $1 AND plugin_id = $2)
			DELETE FROM plugin_problems WHERE source_id = $1 AND plugin_id = $2`, string(e.SourceID), e.Plugin)
	}
	if err != nil {
		return fmt.Errorf("project %s: %w", stored.Type, err)
	}
	return nil
}

// problem is a row of plugin_problems: what was last seen wrong with a
// listed version, per kind.
type problem struct {
	source, plugin, version, kind, detail string
	at                                    time.Time
}

// problemOf says which plugin_problems row an event writes, if any.
func problemOf(e domain.PluginEvent) (problem, bool) {
	switch e := e.(type) {
	case domain.PluginRejected:
		return problem{string(e.SourceID), e.Plugin, e.Version, "rejected", e.Reason, e.At}, true
	case domain.PluginTampered:
		return problem{string(e.SourceID), e.Plugin, e.Version, "tampering", e.Detail, e.At}, true
	case domain.PluginRolledBack:
		return problem{string(e.SourceID), e.Plugin, e.Listed, "rollback", "listed " + e.Listed + " below mirrored " + e.Latest, e.At}, true
	}
	return problem{}, false
}
