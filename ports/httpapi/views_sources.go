package httpapi

import (
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Sources family: snake_case, as the original's rows (views.go).

// sourceView is a source's row: GET /federation/sources and source-status,
// and "source" in the answers of the source actions.
type sourceView struct {
	ID                      string            `json:"id"`
	InstanceURL             string            `json:"instance_url"`
	Username                string            `json:"username"`
	PublicKey               string            `json:"public_key"`
	Status                  string            `json:"status"`
	StatusReason            string            `json:"status_reason"`
	TrustScore              float64           `json:"trust_score"`
	TrustComponents         domain.TrustScore `json:"trust_components"`
	CreatedAt               int64             `json:"created_at"` // unix seconds, as the original
	LastSync                *int64            `json:"last_sync"`  // unix seconds
	LastVerification        *time.Time        `json:"last_verification"`
	LastFailure             string            `json:"last_failure"`
	AvgResponseMS           *float64          `json:"avg_response_ms"`
	ProtocolVersion         string            `json:"protocol_version"`
	Features                []string          `json:"features"`
	AssetDomain             string            `json:"asset_domain"`
	AssetNamingScheme       string            `json:"asset_naming_scheme"`
	PluginCount             int               `json:"plugin_count"`
	SubscriberCount         int               `json:"subscriber_count"`
	AddedBy                 string            `json:"added_by"`
	HealthChecks            int               `json:"health_checks"`
	Uptime                  *float64          `json:"uptime"`
	LastHealthAt            *time.Time        `json:"last_health_at"`
	LastSyncError           string            `json:"last_sync_error"`
	RefusedEntries          int               `json:"refused_entries"`
	LastRefusal             string            `json:"last_refusal"`
	LastRefusalAt           *time.Time        `json:"last_refusal_at"`
	LastVerificationResult  string            `json:"last_verification_result"` // the original's
	SuccessfulVerifications int               `json:"successful_verifications"` // the original's
	Suspension              *suspensionView   `json:"suspension,omitempty"`     // only while suspended
	Incarnation             int               `json:"incarnation"`              // 1, then one more per re-adding after a removal
	Removal                 *removalView      `json:"removal,omitempty"`        // only once removed
	KeyHistory              []keyPeriodView   `json:"key_history"`              // oldest first, the current key last
	// Upstream says why an upstream node withholds this source (its plugins
	// are hidden here until it lists them again); only while it does.
	Upstream *upstreamStatusView `json:"upstream_status,omitempty"`
	// UpstreamLog is the upstream's transparency log as watched here
	// (upstream_log.go); only for a source that announces one or has one
	// on record.
	UpstreamLog *upstreamLogView `json:"upstream_log,omitempty"`
}

type upstreamStatusView struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

func viewUpstream(s app.SourceView) *upstreamStatusView {
	if s.UpstreamStatus == "" {
		return nil
	}
	return &upstreamStatusView{Status: s.UpstreamStatus, Reason: s.UpstreamReason}
}

// removalView says why, by whom and when an admin removed a source.
type removalView struct {
	Reason       string    `json:"reason"`
	Actor        string    `json:"actor"`
	At           time.Time `json:"at"`
	FilesPending int       `json:"files_pending"`
}

func viewRemoval(r *app.RemovalView) *removalView {
	if r == nil {
		return nil
	}
	return &removalView{Reason: r.Reason, Actor: r.By, At: r.At, FilesPending: r.FilesPending}
}

// keyPeriodView is one key of a source; valid_until is absent for the
// current key.
type keyPeriodView struct {
	KeyID      string     `json:"key_id"`
	PublicKey  string     `json:"public_key"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	RotatedBy  string     `json:"rotated_by"`
}

func viewKeyHistory(ks []app.KeyPeriodView) []keyPeriodView {
	out := make([]keyPeriodView, 0, len(ks))
	for _, k := range ks {
		out = append(out, keyPeriodView{KeyID: k.KeyID, PublicKey: k.PublicKey, ValidFrom: k.ValidFrom,
			ValidUntil: k.ValidUntil, RotatedBy: k.RotatedBy})
	}
	return out
}

type suspensionView struct {
	Reason     string    `json:"reason"`
	Quarantine bool      `json:"quarantine"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

func viewSuspension(s *app.SuspensionView) *suspensionView {
	if s == nil {
		return nil
	}
	return &suspensionView{Reason: s.Reason, Quarantine: s.Quarantine, By: s.By, At: s.At}
}

func viewSource(s app.SourceView) sourceView {
	return sourceView{ID: s.ID, InstanceURL: s.InstanceURL, Username: s.Username, PublicKey: s.PublicKey,
		Status: s.Status, StatusReason: s.StatusReason, TrustScore: s.TrustScore, TrustComponents: s.TrustComponents,
		CreatedAt: s.CreatedAt, LastSync: s.LastSync, LastVerification: s.LastVerification, LastFailure: s.LastFailure,
		AvgResponseMS: s.AvgResponseMS, ProtocolVersion: s.ProtocolVersion, Features: s.Features,
		AssetDomain: s.AssetDomain, AssetNamingScheme: s.AssetNamingScheme, PluginCount: s.PluginCount,
		SubscriberCount: s.SubscriberCount, AddedBy: s.AddedBy, HealthChecks: s.HealthChecks, Uptime: s.Uptime,
		LastHealthAt: s.LastHealthAt, LastSyncError: s.LastSyncError, RefusedEntries: s.RefusedEntries,
		LastRefusal: s.LastRefusal, LastRefusalAt: s.LastRefusalAt, LastVerificationResult: s.LastVerificationResult,
		SuccessfulVerifications: s.SuccessfulVerifications, Suspension: viewSuspension(s.Suspension),
		Incarnation: max(s.Incarnation, 1), Removal: viewRemoval(s.Removal), KeyHistory: viewKeyHistory(s.KeyHistory),
		Upstream: viewUpstream(s), UpstreamLog: viewUpstreamLog(s.UpstreamLog)}
}

// SourceStatusAtView is a source as the node believed it at a moment:
// GET /federation/source-status?at= and pfn events state (exported for
// the CLI, which prints the same shape).
type SourceStatusAtView struct {
	sourceView
	AsOf          time.Time `json:"as_of"`
	StreamVersion int64     `json:"stream_version"`
}

// ViewSourceStatusAt shows a source rebuilt as of a moment.
func ViewSourceStatusAt(s app.SourceStatusAt) SourceStatusAtView {
	return SourceStatusAtView{sourceView: viewSource(s.SourceView), AsOf: s.AsOf, StreamVersion: s.StreamVersion}
}
