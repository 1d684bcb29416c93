package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// SourcesProjection is the name (and checkpoint) of the sources read model.
const SourcesProjection = "sources"

// SourceProjection keeps the sources table.
type SourceProjection struct{}

func (SourceProjection) Name() string { return SourcesProjection }

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (SourceProjection) Tables() []string { return []string{"sources", "source_keys"} }

func (SourceProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE sources, source_keys`)
	return err
}

func (SourceProjection) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	id, ok := strings.CutPrefix(stored.StreamID, "source-")
	if !ok {
		return nil // another aggregate's event
	}
	e, err := eventstore.DecodeAs[domain.SourceEvent](stored)
	if err != nil {
		return err
	}
	exec := func(sql string, args ...any) error {
		_, err := tx.Exec(ctx, sql, append([]any{id, e.OccurredAt()}, args...)...)
		if err != nil {
			return fmt.Errorf("project %s for %s: %w", e.EventType(), id, err)
		}
		return nil
	}
	switch e := e.(type) {
	case domain.SourceRegistered, domain.SourceRemoved, domain.SourceFilesDeleted, domain.SourceKeyRotated,
		domain.SourceKeyRotationRefused, domain.SourceSuspended, domain.SourceResumed:
		return projectLifecycle(ctx, tx, id, exec, e)
	case domain.SourceUpstreamStatusChanged:
		return exec(`UPDATE sources SET updated_at = $2, upstream_status = $3, upstream_reason = $4 WHERE id = $1`, e.Status, e.Reason)
	case domain.PublisherInfoRefreshed:
		features, _ := json.Marshal(e.Features)
		return exec(`UPDATE sources SET updated_at = $2, protocol_version = $3, features = $4,
			asset_domain = $5, asset_naming_scheme = $6, log_origin = $7 WHERE id = $1`,
			e.ProtocolVersion, string(features), e.AssetDomain, e.NamingScheme, e.LogOrigin)
	case domain.SourceLogInconsistent:
		return exec(`UPDATE sources SET updated_at = $2, log_fault_kind = $3, log_fault_reason = $4, log_fault_offered = $5,
			log_fault_at = $2 WHERE id = $1`, e.Kind, e.Reason, e.Offered)
	case domain.SourceLogAccepted:
		return exec(`UPDATE sources SET updated_at = $2, log_fault_kind = NULL, log_fault_reason = '', log_fault_offered = '',
			log_fault_at = NULL, upstream_log = '' WHERE id = $1`)
	case domain.OwnershipVerified:
		return exec(`UPDATE sources SET updated_at = $2, last_verification = $2, last_failure = '',
			last_verification_result = 'success', successful_verifications = successful_verifications + 1 WHERE id = $1`)
	case domain.OwnershipVerificationFailed:
		return exec(`UPDATE sources SET updated_at = $2, last_verification = $2, last_failure = $3,
			last_verification_result = 'failed: ' || $3 WHERE id = $1`, e.Reason)
	case domain.SourceHealthChecked:
		if !e.Up {
			return exec(`UPDATE sources SET updated_at = $2, health_checks = health_checks + 1 WHERE id = $1`)
		}
		// domain.SmoothResponseMS in SQL (same float64 arithmetic), so the
		// update needs no read first: early streams held a check every few
		// minutes, and a rebuild pipelines writes but waits on every read.
		return exec(`UPDATE sources SET updated_at = $2, health_checks = health_checks + 1,
			avg_response_ms = CASE WHEN coalesce(avg_response_ms, 0) = 0 THEN $3::float8
				ELSE avg_response_ms + 0.2 * ($3::float8 - avg_response_ms) END WHERE id = $1`, float64(e.ResponseMS))
	case domain.SourceTrustAdjusted:
		components, _ := json.Marshal(e.Components)
		return exec(`UPDATE sources SET updated_at = $2, trust_score = $3, trust_components = $4 WHERE id = $1`,
			e.New, string(components))
	case domain.SourceStatusChanged:
		return exec(`UPDATE sources SET updated_at = $2, status = $3, status_reason = $4 WHERE id = $1`,
			e.To.String(), e.Reason)
	case domain.SourceSubscriberCountChanged:
		return exec(`UPDATE sources SET updated_at = $2, subscriber_count = $3 WHERE id = $1`, e.Count)
	case domain.SourceSynced:
		if e.LogCheckpoint != "" {
			return exec(`UPDATE sources SET updated_at = $2, last_sync = extract(epoch FROM $2::timestamptz)::bigint,
				plugin_count = $3, last_sync_error = '', upstream_log = $4 WHERE id = $1`, e.PluginCount, e.LogCheckpoint)
		}
		return exec(`UPDATE sources SET updated_at = $2, last_sync = extract(epoch FROM $2::timestamptz)::bigint,
			plugin_count = $3, last_sync_error = '' WHERE id = $1`, e.PluginCount)
	case domain.SourceHealthSummarized:
		return exec(`UPDATE sources SET updated_at = $2, health_checks = $3, avg_response_ms = $4, uptime = $5,
			last_health_at = $2 WHERE id = $1`, e.Checks, nullIfZero(e.ResponseMSAvg), e.UptimeAvg)
	case domain.SourceListingRefused:
		return exec(`UPDATE sources SET updated_at = $2, refused_entries = refused_entries + 1, last_refusal = $3,
			last_refusal_at = $2 WHERE id = $1`, e.Summary())
	case domain.SourceFailureRecorded:
		if e.Kind != domain.FailureSync && e.Kind != domain.FailureStorage {
			return exec(`UPDATE sources SET updated_at = $2, last_failure = $3 WHERE id = $1`, e.Kind+": "+e.Reason)
		}
		return exec(`UPDATE sources SET updated_at = $2, last_failure = $3, last_sync_error = $4 WHERE id = $1`,
			e.Kind+": "+e.Reason, e.Reason)
	}
	return nil
}

// projectLifecycle applies what admins and publishers decide about a
// source as a whole: its registration (each incarnation), removal,
// suspension and key changes.
func projectLifecycle(ctx context.Context, tx pgx.Tx, id string, exec func(string, ...any) error, e domain.SourceEvent) error {
	switch e := e.(type) {
	case domain.SourceRegistered:
		// A registration after a removal is a new incarnation: its row and
		// its key history start afresh, as its state does.
		for _, table := range []string{"sources WHERE id = $1", "source_keys WHERE source_id = $1"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table, id); err != nil {
				return fmt.Errorf("project %s for %s: %w", e.EventType(), id, err)
			}
		}
		if err := exec(`INSERT INTO sources (id, updated_at, instance_url, username, public_key, created_at, added_by, incarnation)
			VALUES ($1, $2, $3, $4, $5, extract(epoch FROM $2::timestamptz)::bigint, $6, $7)`,
			e.InstanceURL, e.Username, e.PublicKey, e.AddedBy, max(e.Incarnation, 1)); err != nil {
			return err
		}
		return projectKey(exec, e.PublicKey, domain.KeyByRegistration)
	case domain.SourceRemoved:
		return exec(`UPDATE sources SET updated_at = $2, removed_at = $2, removal_reason = $3, removed_by = $4,
			files_pending = $5, subscriber_count = 0, suspended_at = NULL, suspension_reason = '', suspended_by = '',
			quarantined = false WHERE id = $1`, e.Reason, e.By, len(e.BlobKeys))
	case domain.SourceFilesDeleted:
		return exec(`UPDATE sources SET updated_at = $2, files_pending = 0 WHERE id = $1`)
	case domain.SourceKeyRotated:
		return projectKeyRotated(exec, e)
	case domain.SourceKeyRotationRefused:
		// Shown in the source's status as its latest failure: the node keeps
		// the old key while the publisher signs with the announced one.
		return exec(`UPDATE sources SET updated_at = $2, last_failure = $3 WHERE id = $1`,
			"key_rotation refused: key "+e.KeyID+": "+e.Reason)
	case domain.SourceSuspended:
		return exec(`UPDATE sources SET updated_at = $2, suspended_at = $2, suspension_reason = $3, suspended_by = $4,
			quarantined = $5 WHERE id = $1`, e.Reason, e.By, e.Quarantine)
	case domain.SourceResumed:
		return exec(`UPDATE sources SET updated_at = $2, suspended_at = NULL, suspension_reason = '', suspended_by = '',
			quarantined = false WHERE id = $1`)
	}
	return nil
}

// nullIfZero: a response average of 0 means no successful check yet.
func nullIfZero(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}

// projectKey opens the period of a source's key at the event's time.
func projectKey(exec func(string, ...any) error, publicKey, by string) error {
	raw, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil {
		return fmt.Errorf("project key %q: %w", publicKey, err)
	}
	return exec(`INSERT INTO source_keys (source_id, key_id, public_key, valid_from, rotated_by)
		VALUES ($1, $3, $4, $2, $5) ON CONFLICT (source_id, key_id) DO NOTHING`, domain.KeyID(raw), publicKey, by)
}

// projectKeyRotated closes the old key's period and opens the new key's.
func projectKeyRotated(exec func(string, ...any) error, e domain.SourceKeyRotated) error {
	if err := exec(`UPDATE sources SET updated_at = $2, public_key = $3 WHERE id = $1`, e.NewKey); err != nil {
		return err
	}
	if err := exec(`UPDATE source_keys SET valid_until = $2 WHERE source_id = $1 AND valid_until IS NULL`); err != nil {
		return err
	}
	return projectKey(exec, e.NewKey, e.By)
}
