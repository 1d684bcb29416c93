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
func (ActivityProjection) Tables() []string { return []string{"activity"} }

func (ActivityProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE activity RESTART IDENTITY`)
	return err
}

// entry is one line of the feed.
type entry struct {
	kind, source, plugin, summary string
}

func (p ActivityProjection) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	return p.ApplyBatch(ctx, tx, []eventstore.Event{stored}) // the batch's statement, for one
}

// activityEntry says what an event shows in the feed; ok is false for
// events the feed leaves out (health checks, mirrored files, counts).
func activityEntry(stored eventstore.Event) (entry, bool, error) {
	switch stored.Type {
	case domain.EventPluginMirrored, domain.EventSourceSubscriberCountChanged, domain.EventSourceHealthSummarized,
		domain.EventSourceSignatureChecked, domain.EventSourceHealthChecked, domain.EventPublisherInfoRefreshed:
		return entry{}, false, nil // never in the feed: skip decoding (most of a rebuild's events)
	}
	if strings.HasPrefix(stored.StreamID, "source-") {
		e, ok, err := decodeSourceEvent(stored)
		if err != nil || !ok {
			return entry{}, false, err
		}
		return sourceEntry(domain.SourceID(stored.StreamID[len("source-"):]), e)
	}
	if strings.HasPrefix(stored.StreamID, "plugin-") {
		e, ok, err := decodePluginEvent(stored)
		if err != nil || !ok {
			return entry{}, false, err
		}
		return pluginEntry(e)
	}
	return entry{}, false, nil
}

func sourceEntry(id domain.SourceID, e domain.SourceEvent) (entry, bool, error) {
	en := entry{source: string(id)}
	switch e := e.(type) {
	case domain.SourceRegistered:
		en.kind, en.summary = "source_added", "source added by "+e.AddedBy+": "+e.InstanceURL+" as "+e.Username
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
	case domain.SourceFailureRecorded:
		en.kind, en.summary = e.Kind+"_failed", e.Kind+" failed: "+e.Reason
	case domain.SourceTrustAdjusted:
		en.kind, en.summary = "trust_changed", fmt.Sprintf("trust %.4f → %.4f (%s)", e.Old, e.New, e.Reason)
	case domain.SourceListingRefused:
		en.kind, en.plugin, en.summary = "listing_refused", e.Plugin, e.Summary()
	case domain.SourceSynced:
		if e.Mirrored == 0 && e.Rejected == 0 {
			return entry{}, false, nil
		}
		en.kind, en.summary = "synced", fmt.Sprintf("sync: %d mirrored, %d rejected, %d plugins in all", e.Mirrored, e.Rejected, e.PluginCount)
		if e.RefusalsNotRecorded > 0 {
			en.summary += fmt.Sprintf(" (%d listing refusals not recorded: the source has %d on record, the most kept)",
				e.RefusalsNotRecorded, domain.MaxRefusalsRemembered)
		}
	default:
		return entry{}, false, nil
	}
	return en, true, nil
}

func pluginEntry(e domain.PluginEvent) (entry, bool, error) {
	switch e := e.(type) {
	case domain.PluginVersionUpdated:
		return entry{"version_updated", string(e.SourceID), e.Plugin, fmt.Sprintf("%s updated %s → %s", e.Plugin, e.From, e.To)}, true, nil
	case domain.PluginTampered:
		return entry{"tampering", string(e.SourceID), e.Plugin, fmt.Sprintf("%s %s: tampering: %s; the first copy stays", e.Plugin, e.Version, e.Detail)}, true, nil
	case domain.PluginRolledBack:
		return entry{"rollback", string(e.SourceID), e.Plugin, fmt.Sprintf("%s: publisher lists %s, below the mirrored %s (rollback)", e.Plugin, e.Listed, e.Latest)}, true, nil
	case domain.PluginPruned:
		return entry{"pruned", string(e.SourceID), e.Plugin, fmt.Sprintf("%s %s pruned: %s", e.Plugin, e.Version, e.Reason)}, true, nil
	case domain.PluginStoredCopyDamaged:
		return entry{"stored_copy_damaged", string(e.SourceID), e.Plugin, fmt.Sprintf("%s %s: the node's stored copy is damaged (%s); downloads are refused until it is restored", e.Plugin, e.Version, e.Reason())}, true, nil
	case domain.PluginStoredCopyRestored:
		return entry{"stored_copy_restored", string(e.SourceID), e.Plugin, fmt.Sprintf("%s %s: the node's stored copy is the recorded bytes again (sha256 %s, %d bytes)", e.Plugin, e.Version, e.SHA256, e.Size)}, true, nil
	case domain.PluginRejected:
		return entry{"plugin_rejected", string(e.SourceID), e.Plugin, fmt.Sprintf("%s %s rejected: %s", e.Plugin, e.Version, e.Reason)}, true, nil
	}
	return entry{}, false, nil
}

// ApplyBatch inserts a batch's entries with one statement, in log order
// (a rebuild's hundreds of thousands of events would otherwise cost a
// statement per entry).
func (ActivityProjection) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	var (
		ids                              []uuid.UUID
		positions                        []int64
		ats                              []time.Time
		kinds, sources, plugins, summary []string
	)
	for _, stored := range events {
		en, ok, err := activityEntry(stored)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ids = append(ids, stored.ID)
		positions = append(positions, stored.GlobalPosition)
		ats = append(ats, stored.RecordedAt)
		kinds, sources, plugins, summary = append(kinds, en.kind), append(sources, en.source), append(plugins, en.plugin), append(summary, en.summary)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO activity (event_id, position, at, kind, source_id, plugin, summary)
		SELECT event_id, position, at, kind, source_id, plugin, summary
		FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
			AS b(event_id, position, at, kind, source_id, plugin, summary, ord)
		ORDER BY ord
		ON CONFLICT (event_id) DO NOTHING`, ids, positions, ats, kinds, sources, plugins, summary)
	if err != nil {
		return fmt.Errorf("project %d activity entries: %w", len(ids), err)
	}
	return nil
}
