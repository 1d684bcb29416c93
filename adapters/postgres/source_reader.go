package postgres

import (
	"time"

	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// SourceReader reads the sources table.
type SourceReader struct {
	Pool *pgxpool.Pool
}

const sourceViewColumns = `id, instance_url, username, public_key, status, status_reason, trust_score, trust_components,
	created_at, last_sync, last_verification, last_failure, avg_response_ms, protocol_version, features,
	coalesce(asset_domain, ''), coalesce(asset_naming_scheme, ''), plugin_count, subscriber_count, added_by,
	health_checks, uptime, last_health_at, last_sync_error, refused_entries, last_refusal, last_refusal_at,
	last_verification_result, successful_verifications, suspended_at, suspension_reason, suspended_by, quarantined,
	incarnation, removed_at, removal_reason, removed_by, files_pending, upstream_status, upstream_reason,
	log_origin, upstream_log, log_fault_kind, log_fault_reason, log_fault_offered, log_fault_at`

func scanSourceView(row pgx.Row) (app.SourceView, error) {
	var v app.SourceView
	var sp app.SuspensionView
	var suspendedAt, removedAt *time.Time
	var rm app.RemovalView
	var logOrigin, upstreamLog string
	var faultKind *string
	var fault app.LogFaultView
	var faultAt *time.Time
	err := row.Scan(&v.ID, &v.InstanceURL, &v.Username, &v.PublicKey, &v.Status, &v.StatusReason, &v.TrustScore,
		&v.TrustComponents, &v.CreatedAt, &v.LastSync, &v.LastVerification, &v.LastFailure, &v.AvgResponseMS,
		&v.ProtocolVersion, &v.Features, &v.AssetDomain, &v.AssetNamingScheme, &v.PluginCount, &v.SubscriberCount,
		&v.AddedBy, &v.HealthChecks, &v.Uptime, &v.LastHealthAt, &v.LastSyncError,
		&v.RefusedEntries, &v.LastRefusal, &v.LastRefusalAt, &v.LastVerificationResult, &v.SuccessfulVerifications,
		&suspendedAt, &sp.Reason, &sp.By, &sp.Quarantine,
		&v.Incarnation, &removedAt, &rm.Reason, &rm.By, &rm.FilesPending, &v.UpstreamStatus, &v.UpstreamReason,
		&logOrigin, &upstreamLog, &faultKind, &fault.Reason, &fault.Offered, &faultAt)
	var faultView *app.LogFaultView
	if faultKind != nil {
		fault.Kind = *faultKind
		if faultAt != nil {
			fault.At = faultAt.UTC()
		}
		faultView = &fault
	}
	v.UpstreamLog = app.NewUpstreamLogView(logOrigin, upstreamLog, faultView)
	if suspendedAt != nil {
		sp.At = suspendedAt.UTC()
		v.Suspension = &sp
	}
	if removedAt != nil {
		rm.At = removedAt.UTC()
		v.Removal = &rm
	}
	return v, err
}

func (r SourceReader) ListSources(ctx context.Context) ([]app.SourceView, error) {
	rows, err := r.Pool.Query(ctx, `SELECT `+sourceViewColumns+` FROM sources ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	out := []app.SourceView{}
	for rows.Next() {
		v, err := scanSourceView(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, withKeyHistories(ctx, r.Pool, out, nil)
}

// SourcesWithKey reads the sources whose key is key now or was before a
// rotation; the read model keeps keys as base64 of the raw 32 bytes, as
// SourceRegistered has them.
func (r SourceReader) SourcesWithKey(ctx context.Context, key ed25519.PublicKey) ([]app.SourceView, error) {
	rows, err := r.Pool.Query(ctx, `SELECT `+sourceViewColumns+` FROM sources WHERE public_key = $1
		OR id IN (SELECT source_id FROM source_keys WHERE public_key = $1) ORDER BY created_at, id`,
		base64.StdEncoding.EncodeToString(key))
	if err != nil {
		return nil, fmt.Errorf("sources with key: %w", err)
	}
	defer rows.Close()
	var out []app.SourceView
	for rows.Next() {
		v, err := scanSourceView(rows)
		if err != nil {
			return nil, fmt.Errorf("sources with key: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (r SourceReader) GetSource(ctx context.Context, id domain.SourceID) (app.SourceView, error) {
	v, err := scanSourceView(r.Pool.QueryRow(ctx, `SELECT `+sourceViewColumns+` FROM sources WHERE id = $1`, string(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return app.SourceView{}, fmt.Errorf("source %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return app.SourceView{}, fmt.Errorf("source %s: %w", id, err)
	}
	one := []app.SourceView{v}
	if err := withKeyHistories(ctx, r.Pool, one, []string{v.ID}); err != nil {
		return app.SourceView{}, fmt.Errorf("source %s: %w", id, err)
	}
	return one[0], nil
}

// UnfinishedRemovals lists removed sources whose files are still to
// delete or which still have subscriptions (app.FinishRemoval).
func (r SourceReader) UnfinishedRemovals(ctx context.Context) ([]domain.SourceID, error) {
	rows, err := r.Pool.Query(ctx, `SELECT id FROM sources s WHERE s.status = 'removed'
		AND (s.files_pending > 0 OR EXISTS (SELECT 1 FROM subscriptions u WHERE u.source_id = s.id)) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("unfinished removals: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[domain.SourceID])
	if err != nil {
		return nil, fmt.Errorf("unfinished removals: %w", err)
	}
	return ids, nil
}

// SourceIDsWithPrefix answers the ids starting with prefix (the table is
// one row a source, a few hundred at most: no index needed).
func (r SourceReader) SourceIDsWithPrefix(ctx context.Context, prefix string) ([]domain.SourceID, error) {
	rows, err := r.Pool.Query(ctx, `SELECT id FROM sources WHERE starts_with(id, $1) ORDER BY id`, prefix)
	if err != nil {
		return nil, fmt.Errorf("source ids starting with %s: %w", prefix, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[domain.SourceID])
	if err != nil {
		return nil, fmt.Errorf("source ids starting with %s: %w", prefix, err)
	}
	return ids, nil
}
