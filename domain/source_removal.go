package domain

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Event type names of an admin's removal of a source.
const (
	EventSourceRemoved      = "source.removed"
	EventSourceFilesDeleted = "source.files_deleted"
	EventPluginSourceGone   = "plugin.source_removed"
)

// SourceRemoved records an admin removing a source: nothing runs against
// it any more, and the files named in BlobKeys are to be deleted. They are
// deleted only after this event is stored, and SourceFilesDeleted records
// that they were: until then a sweep deletes them again, so a crash in
// between leaves no file behind for long.
type SourceRemoved struct {
	Reason      string    `json:"reason"`
	By          string    `json:"by"` // the admin's key id
	Incarnation int       `json:"incarnation"`
	BlobKeys    []string  `json:"blob_keys,omitempty"`
	At          time.Time `json:"at"`
}

// SourceFilesDeleted records that every file of a removal is deleted.
type SourceFilesDeleted struct {
	Count int       `json:"count"`
	At    time.Time `json:"at"`
}

// PluginSourceRemoved closes one plugin's history at its source's removal:
// the history forgets every version it held, so that a source added again
// mirrors them afresh instead of believing it still holds them.
type PluginSourceRemoved struct {
	SourceID    SourceID  `json:"source_id"`
	Plugin      string    `json:"plugin"`
	Reason      string    `json:"reason"`
	Incarnation int       `json:"incarnation"`
	At          time.Time `json:"at"`
}

func (SourceRemoved) EventType() string            { return EventSourceRemoved }
func (e SourceRemoved) OccurredAt() time.Time      { return e.At }
func (SourceFilesDeleted) EventType() string       { return EventSourceFilesDeleted }
func (e SourceFilesDeleted) OccurredAt() time.Time { return e.At }
func (PluginSourceRemoved) EventType() string      { return EventPluginSourceGone }

// Removal is what an admin said when removing a source; zero unless it is
// removed. PendingFiles are the files not yet known to be deleted.
type Removal struct {
	Reason       string
	By           string
	At           time.Time
	PendingFiles []string `json:",omitempty"`
}

// CheckAdminReason is the rule for the reasons admins give for suspensions,
// removals and key rotations: required, and small enough for every event
// and view. It returns the reason trimmed; callers that must refuse before
// any outside call (a key rotation's challenge) check it first.
func CheckAdminReason(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", InField("reason", fmt.Errorf("a %s needs a reason: %w", what, ErrInvalidInput))
	}
	if len(reason) > MaxSuspensionReason {
		return "", InField("reason", fmt.Errorf("longer than %d bytes: %w", MaxSuspensionReason, ErrInvalidInput))
	}
	return reason, nil
}

// Halted refuses work against a source an admin suspended or removed.
func (s *Source) Halted() error {
	switch s.state.Status {
	case StatusSuspended:
		return ErrSourceSuspended
	case StatusRemoved:
		return ErrSourceRemoved
	}
	return nil
}

// Remove records an admin's removal of the source, with the files of its
// plugins (blobKeys) to delete once the removal is stored. A suspended
// source may be removed; a removed one not again.
func (s *Source) Remove(reason, by string, blobKeys []string, now time.Time) error {
	if s.state.Status == StatusRemoved {
		return fmt.Errorf("source %s is already removed: %w", s.state.ID, ErrConflict)
	}
	reason, err := CheckAdminReason(reason, "removal")
	if err != nil {
		return err
	}
	s.record(SourceRemoved{Reason: reason, By: by, Incarnation: s.state.incarnation(), BlobKeys: blobKeys, At: now})
	s.changeStatus(StatusRemoved, "removed by "+by+": "+reason, now)
	return nil
}

// incarnation is the source's incarnation; a snapshot taken before
// incarnations were counted holds 0, which is the first.
func (st SourceState) incarnation() int { return max(st.Incarnation, 1) }

// Incarnation counts the registrations of this publisher (1 for the first).
func (s *Source) Incarnation() int { return s.state.incarnation() }

// PendingFiles are the files of the removal still to delete.
func (s *Source) PendingFiles() []string { return s.state.Removal.PendingFiles }

// RecordFilesDeleted records that the removal's files are all deleted;
// it changes nothing when none were pending.
func (s *Source) RecordFilesDeleted(now time.Time) {
	if s.state.Status != StatusRemoved || len(s.state.Removal.PendingFiles) == 0 {
		return
	}
	s.record(SourceFilesDeleted{Count: len(s.state.Removal.PendingFiles), At: now})
}

// Reregister adds a removed source again as its next incarnation, as
// fresh (a new registration of the same publisher, RegisterSource) has it:
// the publisher proves ownership again and its plugins are mirrored
// afresh. It waits for the earlier incarnation's files to be deleted,
// because the new one stores files under the same keys.
func (s *Source) Reregister(fresh SourceState, now time.Time) error {
	switch {
	case fresh.ID != s.state.ID:
		return fmt.Errorf("registration of %s given for source %s: %w", fresh.ID, s.state.ID, ErrInvalidInput)
	case s.state.Status != StatusRemoved:
		return fmt.Errorf("source %s is already registered: %w", s.state.ID, ErrConflict)
	case len(s.state.Removal.PendingFiles) > 0:
		return fmt.Errorf("source %s was removed and %d of its files are still being deleted; try again shortly: %w",
			s.state.ID, len(s.state.Removal.PendingFiles), ErrConflict)
	}
	s.record(SourceRegistered{SourceID: fresh.ID, InstanceURL: fresh.InstanceURL, Username: fresh.Username,
		PublicKey: base64.StdEncoding.EncodeToString(fresh.PublicKey), AddedBy: fresh.AddedBy,
		Incarnation: s.state.incarnation() + 1, At: now})
	return nil
}

func (st *SourceState) applyRemoval(e SourceEvent) {
	switch e := e.(type) {
	case SourceRemoved:
		st.Suspension = Suspension{}
		st.Removal = Removal{Reason: e.Reason, By: e.By, At: e.At, PendingFiles: e.BlobKeys}
	case SourceFilesDeleted:
		st.Removal.PendingFiles = nil
	}
}

// Forget closes the history at its source's removal and returns the
// files of the versions it kept, for the caller to delete once the
// removal is stored.
func (h *PluginHistory) Forget(reason string, incarnation int, now time.Time) []string {
	var keys []string
	for _, v := range h.versions {
		if !v.Pruned && v.BlobKey != "" {
			keys = append(keys, v.BlobKey)
		}
	}
	h.record(PluginSourceRemoved{SourceID: h.Source, Plugin: h.Plugin, Reason: reason, Incarnation: incarnation, At: now})
	return keys
}
