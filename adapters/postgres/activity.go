package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// ActivityProjectionName is the name (and checkpoint) of the activity feed.
const ActivityProjectionName = "activity"

// ActivityProjection keeps the activity table: one entry per event an
// admin wants to see, in words.
type ActivityProjection struct{}

func (ActivityProjection) Name() string     { return ActivityProjectionName }
func (ActivityProjection) Tables() []string { return []string{"activity", "activity_plugins"} }

func (ActivityProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE activity, activity_plugins RESTART IDENTITY`)
	return err
}

// entry is one line of the feed. Besides the words, it keeps what the
// original network's clients read (issue #12): the source's username, and
// for version updates the plugin's name and the versions; "" is stored as
// NULL (not applicable).
type entry struct {
	kind, source, plugin, summary                string
	username, pluginName, oldVersion, newVersion string
}

func (p ActivityProjection) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	return p.ApplyBatch(ctx, tx, []eventstore.Event{stored}) // the batch's statements, for one
}

// decodedActivity is an event the feed may show, decoded once.
type decodedActivity struct {
	stored eventstore.Event
	source domain.SourceEvent // one of the two is set
	plugin domain.PluginEvent
}

// decodeActivity decodes an event the feed may show; ok is false for
// events it never shows (health checks, counts: most of a rebuild's events
// are left undecoded).
func decodeActivity(stored eventstore.Event) (decodedActivity, bool, error) {
	switch stored.Type {
	case domain.EventSourceSubscriberCountChanged, domain.EventSourceHealthSummarized,
		domain.EventSourceSignatureChecked, domain.EventSourceHealthChecked, domain.EventPublisherInfoRefreshed:
		return decodedActivity{}, false, nil
	}
	d := decodedActivity{stored: stored}
	var err error
	switch {
	case strings.HasPrefix(stored.StreamID, "source-"):
		d.source, err = eventstore.DecodeAs[domain.SourceEvent](stored)
	case strings.HasPrefix(stored.StreamID, "plugin-"):
		d.plugin, err = eventstore.DecodeAs[domain.PluginEvent](stored)
	default:
		return decodedActivity{}, false, nil // the feed shows only sources and plugins
	}
	return d, err == nil, err
}

// entryOf says what a decoded event shows in the feed (ok false: nothing).
// names is what the projection remembers of the plugins mirrored so far;
// a mirror updates it.
func entryOf(d decodedActivity, names pluginNames) (entry, bool) {
	if d.source != nil {
		id := domain.SourceID(strings.TrimPrefix(d.stored.StreamID, "source-"))
		en, ok := sourceEntry(id, d.source)
		en.username = usernameOf(id)
		return en, ok
	}
	en, ok := pluginEntry(d.plugin, names)
	en.username = usernameOf(domain.SourceID(en.source))
	return en, ok
}

// usernameOf is the username part of a source id (username@host[:port]),
// read at the last '@': a username may itself be a source id.
func usernameOf(id domain.SourceID) string {
	name, _ := domain.SplitSourceID(id)
	return name
}

func sourceEntry(id domain.SourceID, e domain.SourceEvent) (entry, bool) {
	en := entry{source: string(id)}
	switch e := e.(type) {
	case domain.SourceRegistered:
		en.kind, en.summary = "source_added", "source added by "+e.AddedBy+": "+e.InstanceURL+" as "+e.Username
		if e.Incarnation > 1 {
			en.summary += fmt.Sprintf(" (added again after its removal: incarnation %d)", e.Incarnation)
		}
	case domain.OwnershipVerified:
		en.kind, en.summary = "verified", "ownership proven (challenge signed with the registered key)"
	case domain.OwnershipVerificationFailed:
		en.kind, en.summary = "verification_failed", "ownership not proven: "+e.Reason
	case domain.SourceStatusChanged:
		switch {
		case e.To == domain.StatusError:
			en.kind = "error"
		case e.From == domain.StatusError && e.To == domain.StatusVerified:
			en.kind = "recovered"
		default:
			en.kind = "status_changed"
		}
		en.summary = fmt.Sprintf("status %s → %s: %s", e.From, e.To, e.Reason)
	case domain.SourceSuspended:
		en.kind, en.summary = "suspended", "suspended by "+e.By+": "+e.Reason
		if e.Quarantine {
			en.kind, en.summary = "quarantined", "suspended and quarantined by "+e.By+": "+e.Reason
		}
	case domain.SourceResumed:
		en.kind, en.summary = "resumed", "resumed by "+e.By
		if e.Reason != "" {
			en.summary += ": " + e.Reason
		}
	case domain.SourceRemoved:
		en.kind, en.summary = "removed", fmt.Sprintf("removed by %s: %s (incarnation %d; %d files to delete)",
			e.By, e.Reason, e.Incarnation, len(e.BlobKeys))
	case domain.SourceFilesDeleted:
		en.kind, en.summary = "files_deleted", fmt.Sprintf("the removed source's %d files are deleted", e.Count)
	case domain.SourceKeyRotated:
		en.kind, en.summary = "key_rotated", fmt.Sprintf("public key %s → %s, rotated by the %s (%s)", e.OldKeyID, e.NewKeyID, e.By, e.Actor)
		if e.Reason != "" {
			en.summary += ": " + e.Reason
		}
	case domain.SourceKeyRotationRefused:
		en.kind, en.summary = "key_rotation_refused", "the publisher's announced key "+e.KeyID+" is refused, and not tried again: "+e.Reason
	case domain.SourceFailureRecorded:
		en.kind, en.summary = e.Kind+"_failed", e.Kind+" failed: "+e.Reason
	case domain.SourceTrustAdjusted:
		en.kind, en.summary = "trust_changed", fmt.Sprintf("trust %.4f → %.4f (%s)", e.Old, e.New, e.Reason)
	case domain.SourceListingRefused:
		en.kind, en.plugin, en.summary = "listing_refused", e.Plugin, e.Summary()
	case domain.SourceLogInconsistent:
		en.kind, en.summary = "upstream_log_inconsistent",
			"the upstream's transparency log failed a consistency check ("+e.Kind+": "+e.Reason+"); syncs stop until an admin accepts the log"
	case domain.SourceLogAccepted:
		en.kind, en.summary = "upstream_log_accepted", "the upstream's transparency log is accepted again"
		if e.By != "" {
			en.summary += " by " + e.By
		}
		en.summary += ": " + e.Reason
	case domain.SourceSynced:
		if e.Mirrored == 0 && e.Rejected == 0 {
			return entry{}, false
		}
		en.kind, en.summary = "synced", fmt.Sprintf("sync: %d mirrored, %d rejected, %d plugins in all", e.Mirrored, e.Rejected, e.PluginCount)
		if e.RefusalsNotRecorded > 0 {
			en.summary += fmt.Sprintf(" (%d listing refusals not recorded: the source has %d on record, the most kept)",
				e.RefusalsNotRecorded, domain.MaxRefusalsRemembered)
		}
		en.summary += revalidationSummary(e.Revalidation)
	default:
		return entry{}, false
	}
	return en, true
}

func pluginEntry(e domain.PluginEvent, names pluginNames) (entry, bool) {
	var en entry
	switch e := e.(type) {
	case domain.PluginMirrored:
		first := !names.known(e.SourceID, e.Plugin)
		names.mirrored(e.SourceID, e.Plugin, e.Name)
		if !first {
			return entry{}, false // a later version's mirror shows as its version update
		}
		// The original network counts a first mirror as a version update
		// from "0.0.0"; PFN shows it as its own kind.
		en = entry{kind: "mirrored", source: string(e.SourceID), plugin: e.Plugin, oldVersion: "0.0.0", newVersion: e.Version,
			summary: fmt.Sprintf("%s %s mirrored (first version of this plugin from this source)", e.Plugin, e.Version)}
	case domain.PluginVersionUpdated:
		en = entry{kind: "version_updated", source: string(e.SourceID), plugin: e.Plugin, oldVersion: e.From, newVersion: e.To,
			summary: fmt.Sprintf("%s updated %s → %s", e.Plugin, e.From, e.To)}
	case domain.PluginTampered:
		en = entry{kind: "tampering", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s: tampering: %s; the first copy stays", e.Plugin, e.Version, e.Detail)}
	case domain.PluginRolledBack:
		en = entry{kind: "rollback", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s: publisher lists %s, below the mirrored %s (rollback)", e.Plugin, e.Listed, e.Latest)}
	case domain.PluginPruned:
		en = entry{kind: "pruned", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s pruned: %s", e.Plugin, e.Version, e.Reason)}
	case domain.PluginStoredCopyDamaged:
		en = entry{kind: "stored_copy_damaged", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s: the node's stored copy is damaged (%s); downloads are refused until it is restored", e.Plugin, e.Version, e.Reason())}
	case domain.PluginStoredCopyRestored:
		en = entry{kind: "stored_copy_restored", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s: the node's stored copy is the recorded bytes again (sha256 %s, %d bytes)", e.Plugin, e.Version, e.SHA256, e.Size)}
	case domain.PluginYanked:
		en = entry{kind: "yanked", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s yanked by %s: %s", e.Plugin, e.Version, e.Actor, e.Reason)}
	case domain.PluginUnyanked:
		en = entry{kind: "unyanked", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s unyanked by %s: %s", e.Plugin, e.Version, e.Actor, e.Reason)}
	case domain.PluginSourceRemoved:
		names.forget(e.SourceID, e.Plugin)
		return entry{}, false // the source's removal is the entry
	case domain.PluginRejected:
		en = entry{kind: "plugin_rejected", source: string(e.SourceID), plugin: e.Plugin,
			summary: fmt.Sprintf("%s %s rejected: %s", e.Plugin, e.Version, e.Reason)}
	default:
		return entry{}, false
	}
	// The name as last mirrored; none for a plugin never mirrored (a
	// rejected first version).
	en.pluginName = names.name(domain.SourceID(en.source), en.plugin)
	return en, true
}

// ApplyBatch inserts a batch's entries with one statement, in log order
// (a rebuild's hundreds of thousands of events would otherwise cost a
// statement per entry), reading and writing the plugin names it needs
// once per batch.
func (ActivityProjection) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	decoded := make([]decodedActivity, 0, len(events))
	for _, stored := range events {
		d, ok, err := decodeActivity(stored)
		if err != nil {
			return err
		}
		if ok {
			decoded = append(decoded, d)
		}
	}
	if len(decoded) == 0 {
		return nil
	}
	names, err := loadPluginNames(ctx, tx, decoded)
	if err != nil {
		return err
	}
	var (
		ids                                   []uuid.UUID
		positions                             []int64
		ats                                   []time.Time
		kinds, sources, plugins, summary      []string
		usernames, pluginNamesCol, olds, news []string
	)
	for _, d := range decoded {
		en, ok := entryOf(d, names)
		if !ok {
			continue
		}
		ids = append(ids, d.stored.ID)
		positions = append(positions, d.stored.GlobalPosition)
		ats = append(ats, d.stored.RecordedAt)
		kinds, sources, plugins, summary = append(kinds, en.kind), append(sources, en.source), append(plugins, en.plugin), append(summary, en.summary)
		usernames, pluginNamesCol = append(usernames, en.username), append(pluginNamesCol, en.pluginName)
		olds, news = append(olds, en.oldVersion), append(news, en.newVersion)
	}
	if err := names.save(ctx, tx); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO activity (event_id, position, at, kind, source_id, plugin, summary,
			source_username, plugin_name, old_version, new_version)
		SELECT event_id, position, at, kind, source_id, plugin, summary,
			source_username, NULLIF(plugin_name, ''), NULLIF(old_version, ''), NULLIF(new_version, '')
		FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[]) WITH ORDINALITY
			AS b(event_id, position, at, kind, source_id, plugin, summary, source_username, plugin_name, old_version, new_version, ord)
		ORDER BY ord
		ON CONFLICT (event_id) DO NOTHING`, ids, positions, ats, kinds, sources, plugins, summary,
		usernames, pluginNamesCol, olds, news)
	if err != nil {
		return fmt.Errorf("project %d activity entries: %w", len(ids), err)
	}
	return nil
}
