package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// SourceView is a row of the sources read model.
type SourceView struct {
	ID                string
	InstanceURL       string
	Username          string
	PublicKey         string
	Status            string
	StatusReason      string
	TrustScore        float64
	TrustComponents   domain.TrustScore
	CreatedAt         int64 // unix seconds, as the original
	LastSync          *int64
	LastVerification  *time.Time
	LastFailure       string
	AvgResponseMS     *float64
	ProtocolVersion   string
	Features          []string
	AssetDomain       string
	AssetNamingScheme string
	PluginCount       int
	SubscriberCount   int
	AddedBy           string
	HealthChecks      int
	Uptime            *float64 // moving average of checks being up, 0..1
	LastHealthAt      *time.Time
	LastSyncError     string // until the next successful sync
	// Listing entries refused before any download, each counted once, and
	// the latest of them with its reason.
	RefusedEntries int
	LastRefusal    string
	LastRefusalAt  *time.Time
	// As the original's rows had them: the latest ownership verification's
	// outcome ("success", "failed: " and the reason, "" before the first)
	// and how many succeeded.
	LastVerificationResult  string
	SuccessfulVerifications int
	// Suspension is the admin's suspension in force; nil when none.
	Suspension *SuspensionView
	// Incarnation counts the publisher's registrations: one more each time
	// it is added again after a removal.
	Incarnation int
	// Removal is the admin's removal; nil unless removed.
	Removal *RemovalView
	// KeyHistory is every key the source had, the current one last.
	KeyHistory []KeyPeriodView
	// UpstreamStatus is "quarantined" or "removed" while the upstream node
	// this source is mirrored from withholds it (with its reason), else "".
	UpstreamStatus, UpstreamReason string
	// UpstreamLog is how the upstream node's transparency log is watched;
	// nil for a source that announces no log and has none on record.
	UpstreamLog *UpstreamLogView
}

// UpstreamLogView is the upstream's log as the syncs left it: the signed
// checkpoint last verified ("" none) and its size, and the inconsistency
// in force (nil when none).
type UpstreamLogView struct {
	Checkpoint string
	Size       int64
	Fault      *LogFaultView
}

// LogFaultView is a log inconsistency that stops the source's syncs.
type LogFaultView struct {
	Kind, Reason, Offered string
	At                    time.Time
}

// NewUpstreamLogView is the view of a source's log as its events left it:
// nil when there is nothing to show (no log announced, none on record).
func NewUpstreamLogView(origin, checkpoint string, fault *LogFaultView) *UpstreamLogView {
	if origin == "" && checkpoint == "" && fault == nil {
		return nil
	}
	v := &UpstreamLogView{Checkpoint: checkpoint, Fault: fault}
	if c, err := trustedCheckpoint(checkpoint); err == nil && c != nil {
		v.Size = c.N
	}
	return v
}

// RemovalView is what an admin said when removing a source.
type RemovalView struct {
	Reason       string
	By           string
	At           time.Time
	FilesPending int // files of the removal not yet deleted
}

// KeyPeriodView is one key of a source and when it was the source's key.
type KeyPeriodView struct {
	KeyID      string
	PublicKey  string // raw 32-byte key, base64
	ValidFrom  time.Time
	ValidUntil *time.Time // nil for the current key
	RotatedBy  string     // domain.KeyByRegistration, KeyByAdmin or KeyByPublisher
}

// SuspensionView is what an admin said when suspending a source.
type SuspensionView struct {
	Reason     string
	Quarantine bool
	By         string
	At         time.Time
}

// SourceReader reads the sources read model.
type SourceReader interface {
	ListSources(ctx context.Context) ([]SourceView, error)
	GetSource(ctx context.Context, id domain.SourceID) (SourceView, error) // domain.ErrNotFound
}

// ListSources answers GET /federation/sources: removed sources only when
// asked for (include_removed=true).
type ListSources struct{ Sources SourceReader }

// Authorize: only admins list sources.
func (h ListSources) Authorize(by Principal) error { return requireAdmin(by) }

func (h ListSources) Handle(ctx context.Context, by Principal, includeRemoved bool) ([]SourceView, error) {
	if err := h.Authorize(by); err != nil {
		return nil, err
	}
	all, err := h.Sources.ListSources(ctx)
	if err != nil || includeRemoved {
		return all, err
	}
	kept := make([]SourceView, 0, len(all))
	for _, s := range all {
		if s.Removal == nil {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// GetSourceStatus answers GET /federation/source-status.
type GetSourceStatus struct{ Sources SourceReader }

// Authorize: only admins read a source's status.
func (h GetSourceStatus) Authorize(by Principal) error { return requireAdmin(by) }

func (h GetSourceStatus) Handle(ctx context.Context, by Principal, id domain.SourceID) (SourceView, error) {
	if err := h.Authorize(by); err != nil {
		return SourceView{}, err
	}
	return h.Sources.GetSource(ctx, id)
}
