package domain

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrSourceSuspended: an admin suspended the source; nothing runs against it.
var ErrSourceSuspended = fmt.Errorf("source is suspended: %w", ErrConflict)

// ErrSourceRemoved: an admin removed the source; nothing runs against it.
var ErrSourceRemoved = fmt.Errorf("source is removed: %w", ErrConflict)

// PublisherInfo is what a publisher says about itself in /federation-info.
type PublisherInfo struct {
	ProtocolVersion string
	Features        []string
	AssetDomain     string
	NamingScheme    string
	// LogOrigin is the origin of the transparency log the upstream node
	// announces ("transparency-log" and log.origin), "" when it announces
	// none (domain/source_log.go).
	LogOrigin string `json:",omitempty"`
	// KeyRotation is the publisher's announcement of its next key, nil
	// when it makes none; it is acted on, never stored (key_rotation.go).
	KeyRotation *KeyRotation `json:"-"`
}

// SourceState is a source as its events describe it.
type SourceState struct {
	ID          SourceID
	InstanceURL string
	Username    string
	PublicKey   ed25519.PublicKey
	// KeyHistory is every key the source had, the current one last
	// (KeyPeriods reads it; source_keys.go).
	KeyHistory []KeyPeriod `json:",omitempty"`
	// RefusedKeyID is the last key the publisher announced that the node
	// refused (key_rotation_refused.go); it is not tried again.
	RefusedKeyID string `json:",omitempty"`
	// UpstreamStatus is what the upstream node last said of this source
	// when it withholds it ("quarantined" or "removed"), with its reason;
	// "" otherwise (source_upstream.go).
	UpstreamStatus   string `json:",omitempty"`
	UpstreamReason   string `json:",omitempty"`
	AddedBy          string
	Status           SourceStatus
	Info             PublisherInfo
	Trust            TrustScore
	TrustInputs      TrustInputs
	CreatedAt        time.Time
	LastVerifiedAt   time.Time // last proof attempt, successful or not
	LastProofFailure string    // why the last proof attempt failed; "" when it succeeded
	LastHealthAt     time.Time
	LastSyncAt       time.Time
	PluginCount      int
	LastFailure      string
	LastChangeReason string
	LastHealthUp     bool        // the latest summarised health check was up
	RecentFailures   []time.Time // failures counted by the failure policy, within its window
	LastSyncError    string      // why the latest sync failed; empty after a successful one
	// AllowedAssetHosts are hosts an admin allowed the asset domain to be
	// on besides the instance's registrable domain (CheckAssetHost).
	AllowedAssetHosts []string `json:",omitempty"`
	// RefusedListings holds the keys of the listing refusals on record
	// (refusalKey: plugin and kind of refusal, hashed), so each is recorded
	// once; at most MaxRefusalsRemembered of them.
	RefusedListings map[string]bool
	// RefusalsNotRecorded counts the refusals past MaxRefusalsRemembered,
	// once per sync that saw them.
	RefusalsNotRecorded int64  `json:",omitempty"`
	LastRefusal         string // the latest refusal's summary
	LastRefusalAt       time.Time
	// Suspension is the admin's suspension in force (source_suspension.go).
	Suspension Suspension `json:",omitzero"`
	// Incarnation counts the registrations of this publisher: 1, then one
	// more each time it is added again after a removal (source_removal.go).
	Incarnation int `json:",omitempty"`
	// Removal is the admin's removal; zero unless removed.
	Removal Removal `json:",omitzero"`
	// RevalidatedThrough is where the last sync's capped revalidation
	// stopped (Revalidation.Through); the next one goes on after it.
	RevalidatedThrough string `json:",omitempty"`
	// Feed is where the syncs left the upstream node's change feed
	// (source_feed.go).
	Feed FeedPosition `json:",omitzero"`
	// UpstreamLog is the upstream's signed log checkpoint the last sync
	// verified ("" before the first, and after an admin accepted a
	// fault); LogFault is the inconsistency in force, nil when none
	// (source_log.go).
	UpstreamLog string    `json:",omitempty"`
	LogFault    *LogFault `json:",omitempty"`
}

// Source is the aggregate: its whole history is events. Commands check the
// state, then record events; state changes only by applying events, so a
// replay rebuilds exactly what the commands built.
type Source struct {
	Root[SourceEvent]
	state SourceState
}

// healthSmoothing is the weight of the newest health check in the moving
// averages of uptime and response time.
const healthSmoothing = 0.2

// SmoothResponseMS folds one successful check's response time into the
// moving average (0 means no average yet). Read models use it too, so they
// show the same figure the trust score used.
func SmoothResponseMS(avg float64, responseMS int64) float64 {
	if avg == 0 {
		return float64(responseMS)
	}
	return avg + healthSmoothing*(float64(responseMS)-avg)
}

// RegisterSource validates a new source and records its registration.
func RegisterSource(instanceURL, username, publicKey, addedBy string, now time.Time) (*Source, error) {
	// The fields are named as the original protocol names them, in
	// requests and in SourceRegistered alike.
	normalized, err := NormalizeInstanceURL(instanceURL)
	if err != nil {
		return nil, InField("instance_url", err)
	}
	id, err := NewSourceID(normalized, username)
	if err != nil {
		return nil, InField("username", err)
	}
	key, err := ParsePublicKey(publicKey)
	if err != nil {
		return nil, InField("public_key", err)
	}
	s := &Source{}
	s.record(SourceRegistered{
		SourceID: id, InstanceURL: normalized, Username: username,
		PublicKey: base64.StdEncoding.EncodeToString(key), AddedBy: addedBy, At: now,
	})
	return s, nil
}

// LoadSource rebuilds a source from its stored history.
func LoadSource(history []SourceEvent) (*Source, error) {
	if len(history) == 0 {
		return nil, fmt.Errorf("source: %w", ErrNotFound)
	}
	if _, ok := history[0].(SourceRegistered); !ok {
		return nil, fmt.Errorf("source history starts with %s, not %s", history[0].EventType(), EventSourceRegistered)
	}
	s := &Source{}
	for _, e := range history {
		s.apply(e)
	}
	s.loadedAt(int64(len(history)))
	return s, nil
}

// ResumeSource continues a source from a snapshot of its state at version
// and the events after it: the same source LoadSource would build from the
// whole stream, without reading all of it.
func ResumeSource(snapshot SourceState, version int64, rest []SourceEvent) (*Source, error) {
	if snapshot.ID == "" || version < 1 {
		return nil, fmt.Errorf("source snapshot without an id or version: %w", ErrInvalidInput)
	}
	s := &Source{state: snapshot}
	for _, e := range rest {
		s.apply(e)
	}
	s.loadedAt(version + int64(len(rest)))
	return s, nil
}

// State returns the source as it stands, pending changes included.
func (s *Source) State() SourceState { return s.state }

// RefreshInfo records what the publisher's /federation-info said.
func (s *Source) RefreshInfo(info PublisherInfo, now time.Time) error {
	if err := s.Halted(); err != nil {
		return err
	}
	if info.AssetDomain == "" || info.NamingScheme == "" {
		return fmt.Errorf("publisher gave no asset domain or naming scheme: %w", ErrInvalidInput)
	}
	if err := s.CheckAssetHost(info); err != nil {
		return err
	}
	if err := checkLogOrigin(info.LogOrigin); err != nil {
		return err
	}
	s.record(PublisherInfoRefreshed{ProtocolVersion: info.ProtocolVersion, Features: info.Features,
		AssetDomain: info.AssetDomain, NamingScheme: info.NamingScheme, LogOrigin: info.LogOrigin, At: now})
	return nil
}

// RecordOwnershipProof records the outcome of a challenge-response attempt:
// a success makes the source verified, a failure (with its reason) failed.
func (s *Source) RecordOwnershipProof(ok bool, reason string, now time.Time) error {
	if err := s.Halted(); err != nil {
		return err
	}
	if ok {
		s.record(OwnershipVerified{At: now})
		s.changeStatus(StatusVerified, "ownership proven", now)
		s.recomputeTrust("ownership proven", now)
		return nil
	}
	if reason == "" {
		return errors.New("a failed ownership proof needs a reason")
	}
	s.record(OwnershipVerificationFailed{Reason: reason, At: now})
	s.changeStatus(StatusFailed, reason, now)
	s.recomputeTrust("ownership proof failed", now)
	return nil
}

// The failure policy: this many failures within the window put a verified
// source in error; the first success afterwards brings it back.
const (
	FailuresForError = 3
	FailureWindow    = 24 * time.Hour
)

// ObserveHealth takes one check from the source's health stream: a summary
// when its figures matter, a failure when it failed, a recovery when it
// succeeded while the source was in error.
func (s *Source) ObserveHealth(c HealthChecked) error {
	if err := s.Halted(); err != nil {
		return err
	}
	if s.state.needsSummary(c) {
		s.record(SourceHealthSummarized{Checks: c.Checks, UptimeAvg: c.UptimeAvg, ResponseMSAvg: c.ResponseMSAvg, Up: c.Up, At: c.At})
		s.recomputeTrust("health", c.At)
	}
	if !c.Up {
		return s.RecordFailure(FailureHealth, c.Error, c.At)
	}
	s.recover("health check succeeded", c.At)
	return nil
}

// RecordFailure counts a failed sync, health check or re-verification.
// While the source is in error, further health failures are left to the
// health stream (a publisher down for a week would otherwise fill the
// source's stream); failed syncs are always recorded, so the reason stays
// visible until a sync succeeds.
func (s *Source) RecordFailure(kind, reason string, now time.Time) error {
	switch kind {
	case FailureHealth, FailureSync, FailureReverify, FailureRefresh, FailureStorage:
	default:
		return fmt.Errorf("unknown failure kind %q: %w", kind, ErrInvalidInput)
	}
	if reason == "" {
		return fmt.Errorf("a failure needs a reason: %w", ErrInvalidInput)
	}
	switch s.state.Status {
	case StatusSuspended, StatusRemoved:
		return s.Halted()
	case StatusVerified:
	case StatusError:
		if kind != FailureSync && kind != FailureStorage {
			return nil
		}
	default:
		return nil // pending or failed sources are not scheduled
	}
	s.record(SourceFailureRecorded{Kind: kind, Reason: reason, At: now})
	if kind == FailureStorage {
		return nil
	}
	if s.state.Status == StatusVerified && len(s.state.RecentFailures) >= FailuresForError {
		s.changeStatus(StatusError, fmt.Sprintf("%d failures within %s; the last: %s: %s",
			len(s.state.RecentFailures), FailureWindow, kind, reason), now)
		s.recomputeTrust("entered error", now)
	}
	return nil
}

// recover brings a source in error back to verified after a success.
func (s *Source) recover(reason string, now time.Time) {
	if s.state.Status != StatusError {
		return
	}
	s.changeStatus(StatusVerified, "recovered: "+reason, now)
	s.recomputeTrust("recovered", now)
}

// SyncSummary is what one sync found, for the source's record and trust.
type SyncSummary struct {
	Mirrored, Rejected int
	PluginCount        int // distinct plugins mirrored so far
	// Publisher signatures checked in this sync; they feed the trust score.
	ValidSignatures, InvalidSignatures int
	// Listing refusals this sync could not record: the source remembers
	// MaxRefusalsRemembered already (ListingRefusalsRecorded.NotRecorded).
	RefusalsNotRecorded int
	// What asking the publisher about the held versions found.
	Revalidation Revalidation
	// Feed is where the sync left the upstream's change feed; nil keeps
	// the last mark.
	Feed *FeedMark
	// LogCheckpoint is the upstream's signed log checkpoint this sync
	// verified; "" keeps the last one.
	LogCheckpoint string
}

// RecordTampering counts tampering found outside a sync (the recheck of
// mirrored files): it lowers the signature part of the trust score and
// touches nothing a sync does (last sync, its error, a recovery).
func (s *Source) RecordTampering(found int, now time.Time) error {
	if err := s.Halted(); err != nil {
		return err
	}
	if found <= 0 {
		return nil
	}
	for range found {
		s.record(SourceSignatureChecked{Valid: false, At: now})
	}
	s.recomputeTrust("tampering found by a recheck", now)
	return nil
}

// SetSubscriberCount records a change in how many consumers subscribe.
func (s *Source) SetSubscriberCount(n int, now time.Time) {
	if n == s.state.TrustInputs.Subscribers || n < 0 {
		return
	}
	s.record(SourceSubscriberCountChanged{Count: n, At: now})
	s.recomputeTrust("subscribers changed", now)
}

// RecordSync closes a sync: one event, whatever the number of plugins (a
// sync of fifty plugins used to append fifty signature checks).
func (s *Source) RecordSync(sum SyncSummary, now time.Time) error {
	if err := s.CanSync(); err != nil {
		return err
	}
	if sum.Mirrored < 0 || sum.Rejected < 0 || sum.PluginCount < 0 || sum.ValidSignatures < 0 || sum.InvalidSignatures < 0 ||
		sum.RefusalsNotRecorded < 0 {
		return fmt.Errorf("sync summary with a negative count: %w", ErrInvalidInput)
	}
	if err := sum.Revalidation.validate(); err != nil {
		return err
	}
	if len(sum.LogCheckpoint) > MaxLogCheckpoint {
		return fmt.Errorf("log checkpoint of %d bytes, at most %d: %w", len(sum.LogCheckpoint), MaxLogCheckpoint, ErrInvalidInput)
	}
	s.record(SourceSynced{LogCheckpoint: sum.LogCheckpoint, Mirrored: sum.Mirrored, Rejected: sum.Rejected, PluginCount: sum.PluginCount,
		ValidSignatures: sum.ValidSignatures, InvalidSignatures: sum.InvalidSignatures, RefusalsNotRecorded: sum.RefusalsNotRecorded,
		Revalidation: sum.Revalidation, Feed: sum.Feed, At: now})
	if sum.ValidSignatures+sum.InvalidSignatures > 0 {
		s.recomputeTrust("plugin signature checks", now)
	}
	s.recover("sync succeeded", now)
	return nil
}

// CanSync tells whether plugins may be fetched from the source now.
func (s *Source) CanSync() error {
	switch s.state.Status {
	case StatusVerified, StatusError: // syncing a source in error is how it recovers
		// An asset domain recorded before the asset-host rule existed (or
		// allowed by a host since withdrawn) is not fetched from.
		if info := s.state.Info; info.AssetDomain != "" {
			if err := s.CheckAssetHost(info); err != nil {
				return fmt.Errorf("the recorded asset domain is refused: %v: %w", err, ErrConflict)
			}
		}
		return s.state.logFaultRefusal()
	case StatusSuspended, StatusRemoved:
		return s.Halted()
	default:
		return fmt.Errorf("source is %s, not verified: %w", s.state.Status, ErrConflict)
	}
}

func (s *Source) changeStatus(to SourceStatus, reason string, now time.Time) {
	if s.state.Status == to {
		return
	}
	s.record(SourceStatusChanged{From: s.state.Status, To: to, Reason: reason, At: now})
}

func (s *Source) recomputeTrust(reason string, now time.Time) {
	next := ComputeTrust(s.state.TrustInputs, now)
	if next == s.state.Trust {
		return
	}
	s.record(SourceTrustAdjusted{Old: s.state.Trust.Score, New: next.Score, Components: next, Reason: reason, At: now})
}

func (s *Source) record(e SourceEvent) {
	s.apply(e)
	s.pend(e)
}

// apply changes state from one event; it never fails and never checks:
// the events already happened.
func (s *Source) apply(e SourceEvent) {
	st := &s.state
	in := &st.TrustInputs
	switch e := e.(type) {
	case SourceRegistered:
		st.applyRegistered(e)
	case PublisherInfoRefreshed:
		st.Info = PublisherInfo{ProtocolVersion: e.ProtocolVersion, Features: e.Features,
			AssetDomain: e.AssetDomain, NamingScheme: e.NamingScheme, LogOrigin: e.LogOrigin}
	case OwnershipVerified, OwnershipVerificationFailed:
		st.applyOwnership(e)
	case SourceHealthChecked:
		st.applyHealthChecked(e)
	case SourceSignatureChecked:
		if e.Valid {
			in.ValidSignatures++
		} else {
			in.InvalidSignatures++
		}
	case SourceSubscriberCountChanged:
		in.Subscribers = e.Count
	case SourceSynced:
		st.LastSyncAt = e.At
		st.LastSyncError = ""
		st.PluginCount = e.PluginCount
		in.ValidSignatures += e.ValidSignatures
		in.InvalidSignatures += e.InvalidSignatures
		st.RefusalsNotRecorded += int64(e.RefusalsNotRecorded)
		st.RevalidatedThrough = e.Revalidation.Through
		st.Feed.applySynced(e)
		if e.LogCheckpoint != "" {
			st.UpstreamLog = e.LogCheckpoint
		}
	case SourceTrustAdjusted:
		st.Trust = e.Components
	case SourceStatusChanged:
		st.Status = e.To
		st.LastChangeReason = e.Reason
		in.InError = e.To == StatusError
		if e.To != StatusError {
			st.RecentFailures = nil // a recovery (or any other move) starts the count again
		}
	case SourceHealthSummarized:
		in.HealthChecks = e.Checks
		in.UptimeAvg = e.UptimeAvg
		in.ResponseMSAvg = e.ResponseMSAvg
		st.LastHealthAt = e.At
		st.LastHealthUp = e.Up
	case SourceAssetHostsAllowed:
		st.AllowedAssetHosts = slices.Clone(e.Hosts)
	case SourceListingRefused:
		st.applyListingRefused(e)
	case SourceFailureRecorded:
		st.applyFailureRecorded(e)
	case SourceSuspended, SourceResumed:
		st.applySuspension(e)
	case SourceRemoved, SourceFilesDeleted:
		st.applyRemoval(e)
	case SourceKeyRotated:
		st.applyKeyRotated(e)
	case SourceKeyRotationRefused:
		st.RefusedKeyID = e.KeyID
	case SourceUpstreamStatusChanged:
		st.UpstreamStatus, st.UpstreamReason = e.Status, e.Reason
	case SourceLogInconsistent, SourceLogAccepted:
		st.applyLog(e)
	}
}

// applyRegistered starts the state afresh: a registration after a removal
// starts a new incarnation, and nothing of the earlier one carries over
// (source_removal.go).
func (st *SourceState) applyRegistered(e SourceRegistered) {
	key, _ := base64.StdEncoding.DecodeString(e.PublicKey)
	*st = SourceState{ID: e.SourceID, InstanceURL: e.InstanceURL, Username: e.Username,
		PublicKey: ed25519.PublicKey(key), AddedBy: e.AddedBy, Status: StatusPending, CreatedAt: e.At,
		Incarnation: max(e.Incarnation, 1)}
	st.KeyHistory = []KeyPeriod{{KeyID: KeyID(key), PublicKey: key, ValidFrom: e.At, RotatedBy: KeyByRegistration}}
}

// applyOwnership counts a proof of key ownership, good or failed.
func (st *SourceState) applyOwnership(e SourceEvent) {
	in := &st.TrustInputs
	switch e := e.(type) {
	case OwnershipVerified:
		in.Verifications++
		in.LastProofOK = true
		if in.FirstVerifiedAt.IsZero() {
			in.FirstVerifiedAt = e.At
		}
		st.LastVerifiedAt = e.At
		st.LastFailure = ""
		st.LastProofFailure = ""
	case OwnershipVerificationFailed:
		in.FailedProofs++
		in.LastProofOK = false
		st.LastVerifiedAt = e.At
		st.LastFailure = e.Reason
		st.LastProofFailure = e.Reason
	}
}

// applyHealthChecked folds one health check into the moving averages.
func (st *SourceState) applyHealthChecked(e SourceHealthChecked) {
	in := &st.TrustInputs
	up := 0.0
	if e.Up {
		up = 1
	}
	if in.HealthChecks == 0 {
		in.UptimeAvg = up
	} else {
		in.UptimeAvg += healthSmoothing * (up - in.UptimeAvg)
	}
	if e.Up {
		in.ResponseMSAvg = SmoothResponseMS(in.ResponseMSAvg, e.ResponseMS)
	}
	in.HealthChecks++
	st.LastHealthAt = e.At
	st.LastHealthUp = e.Up
}

// applyFailureRecorded counts a failure inside the window; a storage
// failure is the node's own blob store's, so it is shown but never counted.
func (st *SourceState) applyFailureRecorded(e SourceFailureRecorded) {
	if e.Kind == FailureStorage {
		st.LastSyncError = e.Reason
		return
	}
	kept := st.RecentFailures[:0:0]
	for _, t := range st.RecentFailures {
		if e.At.Sub(t) < FailureWindow {
			kept = append(kept, t)
		}
	}
	st.RecentFailures = append(kept, e.At)
	if e.Kind == FailureSync {
		st.LastSyncError = e.Reason
	}
}
