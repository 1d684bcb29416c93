package domain

import "time"

// SourceEvent is something that happened to a source. Every field is
// public data: no secret ever goes into an event.
type SourceEvent interface {
	EventType() string
	OccurredAt() time.Time
	sourceEvent() // sealed (events_sealed.go)
}

// Event type names, as stored in the log.
const (
	EventSourceRegistered             = "source.registered"
	EventPublisherInfoRefreshed       = "source.publisher_info_refreshed"
	EventOwnershipVerified            = "source.ownership_verified"
	EventOwnershipVerificationFailed  = "source.ownership_verification_failed"
	EventSourceHealthChecked          = "source.health_checked"
	EventSourceTrustAdjusted          = "source.trust_adjusted"
	EventSourceStatusChanged          = "source.status_changed"
	EventSourceSignatureChecked       = "source.signature_checked"
	EventSourceSubscriberCountChanged = "source.subscriber_count_changed"
	EventSourceSynced                 = "source.synced"
)

type SourceRegistered struct {
	SourceID    SourceID `json:"source_id"`
	InstanceURL string   `json:"instance_url"`
	Username    string   `json:"username"`
	PublicKey   string   `json:"public_key"` // raw 32-byte key, base64
	AddedBy     string   `json:"added_by"`   // API key id
	// Incarnation is 1 for the first registration (absent: 1) and one more
	// for each registration after a removal.
	Incarnation int       `json:"incarnation,omitempty"`
	At          time.Time `json:"at"`
}

type PublisherInfoRefreshed struct {
	ProtocolVersion string   `json:"protocol_version"`
	Features        []string `json:"features"`
	AssetDomain     string   `json:"asset_domain"`
	NamingScheme    string   `json:"naming_scheme"`
	// LogOrigin is the upstream node's transparency log origin (absent
	// when it announces none).
	LogOrigin string    `json:"log_origin,omitempty"`
	At        time.Time `json:"at"`
}

type OwnershipVerified struct {
	At time.Time `json:"at"`
}

type OwnershipVerificationFailed struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type SourceHealthChecked struct {
	Up         bool      `json:"up"`
	ResponseMS int64     `json:"response_ms"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

type SourceTrustAdjusted struct {
	Old        float64    `json:"old"`
	New        float64    `json:"new"`
	Components TrustScore `json:"components"`
	Reason     string     `json:"reason"`
	At         time.Time  `json:"at"`
}

type SourceStatusChanged struct {
	From   SourceStatus `json:"from"`
	To     SourceStatus `json:"to"`
	Reason string       `json:"reason"`
	At     time.Time    `json:"at"`
}

// SourceSignatureChecked records one plugin signature check. Early syncs
// recorded one per plugin; syncs now count them in SourceSynced. A recheck
// that finds changed bytes records a failed one.
type SourceSignatureChecked struct {
	Valid bool      `json:"valid"`
	At    time.Time `json:"at"`
}

type SourceSubscriberCountChanged struct {
	Count int       `json:"count"`
	At    time.Time `json:"at"`
}

// SourceSynced closes one sync of the source's plugins.
type SourceSynced struct {
	Mirrored    int `json:"mirrored"`
	Rejected    int `json:"rejected"`
	PluginCount int `json:"plugin_count"` // distinct plugins mirrored so far
	// Publisher signature checks of this sync (absent in early events: 0).
	ValidSignatures   int `json:"valid_signatures,omitempty"`
	InvalidSignatures int `json:"invalid_signatures,omitempty"`
	// Listing refusals seen but not recorded: the source remembers as many
	// as it keeps already (MaxRefusalsRemembered).
	RefusalsNotRecorded int `json:"refusals_not_recorded,omitempty"`
	// What asking the publisher about the held versions found (absent
	// before revalidation existed, and when nothing was asked).
	Revalidation Revalidation `json:"revalidation,omitzero"`
	// Feed is where the sync left the upstream node's change feed (absent
	// when the upstream has none, or the sync keeps the last mark).
	Feed *FeedMark `json:"feed,omitempty"`
	// LogCheckpoint is the upstream's signed transparency log checkpoint
	// the sync verified (absent when none was checked: the last one stays).
	LogCheckpoint string    `json:"log_checkpoint,omitempty"`
	At            time.Time `json:"at"`
}

func (SourceSynced) EventType() string                 { return EventSourceSynced }
func (e SourceSynced) OccurredAt() time.Time           { return e.At }
func (SourceRegistered) EventType() string             { return EventSourceRegistered }
func (PublisherInfoRefreshed) EventType() string       { return EventPublisherInfoRefreshed }
func (OwnershipVerified) EventType() string            { return EventOwnershipVerified }
func (OwnershipVerificationFailed) EventType() string  { return EventOwnershipVerificationFailed }
func (SourceHealthChecked) EventType() string          { return EventSourceHealthChecked }
func (SourceTrustAdjusted) EventType() string          { return EventSourceTrustAdjusted }
func (SourceStatusChanged) EventType() string          { return EventSourceStatusChanged }
func (SourceSignatureChecked) EventType() string       { return EventSourceSignatureChecked }
func (SourceSubscriberCountChanged) EventType() string { return EventSourceSubscriberCountChanged }

func (e SourceRegistered) OccurredAt() time.Time             { return e.At }
func (e PublisherInfoRefreshed) OccurredAt() time.Time       { return e.At }
func (e OwnershipVerified) OccurredAt() time.Time            { return e.At }
func (e OwnershipVerificationFailed) OccurredAt() time.Time  { return e.At }
func (e SourceHealthChecked) OccurredAt() time.Time          { return e.At }
func (e SourceTrustAdjusted) OccurredAt() time.Time          { return e.At }
func (e SourceStatusChanged) OccurredAt() time.Time          { return e.At }
func (e SourceSignatureChecked) OccurredAt() time.Time       { return e.At }
func (e SourceSubscriberCountChanged) OccurredAt() time.Time { return e.At }

// Events of the operations issue: health summaries, failures, recoveries.
const (
	EventSourceHealthSummarized = "source.health_summarized"
	EventSourceFailureRecorded  = "source.failure_recorded"
)

// SourceHealthSummarized copies the health stream's running figures into
// the source's stream when they matter (domain/health.go says when).
type SourceHealthSummarized struct {
	Checks        int       `json:"checks"`
	UptimeAvg     float64   `json:"uptime_avg"`
	ResponseMSAvg float64   `json:"response_ms_avg"`
	Up            bool      `json:"up"` // the latest check
	At            time.Time `json:"at"`
}

// Failure kinds.
const (
	FailureHealth   = "health"
	FailureSync     = "sync"
	FailureReverify = "reverify"
	FailureRefresh  = "refresh" // an admin's refresh of /federation-info (update-source) refused
	// FailureStorage is a sync that failed on the node's own blob store.
	// It is the sync's error (shown until a sync succeeds) but not the
	// publisher's fault, so it does not count towards the failure policy.
	FailureStorage = "storage"
)

// SourceFailureRecorded is a failed sync, health check or re-verification
// that counts towards the failure policy.
type SourceFailureRecorded struct {
	Kind   string    `json:"kind"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func (SourceHealthSummarized) EventType() string       { return EventSourceHealthSummarized }
func (e SourceHealthSummarized) OccurredAt() time.Time { return e.At }
func (SourceFailureRecorded) EventType() string        { return EventSourceFailureRecorded }
func (e SourceFailureRecorded) OccurredAt() time.Time  { return e.At }
