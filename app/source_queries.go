package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// SourceView is a row of the sources read model.
type SourceView struct {
	ID                string            `json:"id"`
	InstanceURL       string            `json:"instance_url"`
	Username          string            `json:"username"`
	PublicKey         string            `json:"public_key"`
	Status            string            `json:"status"`
	StatusReason      string            `json:"status_reason"`
	TrustScore        float64           `json:"trust_score"`
	TrustComponents   domain.TrustScore `json:"trust_components"`
	CreatedAt         int64             `json:"created_at"` // unix seconds, as the original
	LastSync          *int64            `json:"last_sync"`
	LastVerification  *time.Time        `json:"last_verification"`
	LastFailure       string            `json:"last_failure"`
	AvgResponseMS     *float64          `json:"avg_response_ms"`
	ProtocolVersion   string            `json:"protocol_version"`
	Features          []string          `json:"features"`
	AssetDomain       string            `json:"asset_domain"`
	AssetNamingScheme string            `json:"asset_naming_scheme"`
	PluginCount       int               `json:"plugin_count"`
	SubscriberCount   int               `json:"subscriber_count"`
	AddedBy           string            `json:"added_by"`
	HealthChecks      int               `json:"health_checks"`
	Uptime            *float64          `json:"uptime"` // moving average of checks being up, 0..1
	LastHealthAt      *time.Time        `json:"last_health_at"`
	LastSyncError     string            `json:"last_sync_error"` // until the next successful sync
	// Listing entries refused before any download, each counted once, and
	// the latest of them with its reason.
	RefusedEntries int        `json:"refused_entries"`
	LastRefusal    string     `json:"last_refusal"`
	LastRefusalAt  *time.Time `json:"last_refusal_at"`
	// As the original's rows had them: the latest ownership verification's
	// outcome ("success", "failed: " and the reason, "" before the first)
	// and how many succeeded.
	LastVerificationResult  string `json:"last_verification_result"`
	SuccessfulVerifications int    `json:"successful_verifications"`
}

// SourceReader reads the sources read model.
type SourceReader interface {
	ListSources(ctx context.Context) ([]SourceView, error)
	GetSource(ctx context.Context, id domain.SourceID) (SourceView, error) // domain.ErrNotFound
}

// ListSources answers GET /federation/sources.
type ListSources struct{ Sources SourceReader }

func (h ListSources) Handle(ctx context.Context, by Principal) ([]SourceView, error) {
	if !by.IsAdmin() {
		return nil, domain.ErrForbidden
	}
	return h.Sources.ListSources(ctx)
}

// GetSourceStatus answers GET /federation/source-status.
type GetSourceStatus struct{ Sources SourceReader }

func (h GetSourceStatus) Handle(ctx context.Context, by Principal, id domain.SourceID) (SourceView, error) {
	if !by.IsAdmin() {
		return SourceView{}, domain.ErrForbidden
	}
	return h.Sources.GetSource(ctx, id)
}
