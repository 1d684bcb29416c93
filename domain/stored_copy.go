package domain

import (
	"fmt"
	"time"
)

// Stored-copy events: what the recheck job found when it re-hashed the
// node's own copy of a kept version. They go on the plugin's stream.
const (
	EventPluginStoredCopyDamaged  = "plugin.stored_copy_damaged"
	EventPluginStoredCopyRestored = "plugin.stored_copy_restored"
)

func (PluginStoredCopyDamaged) EventType() string  { return EventPluginStoredCopyDamaged }
func (PluginStoredCopyRestored) EventType() string { return EventPluginStoredCopyRestored }

// StoredCopyMeasure is what a re-read of a stored copy found: the file
// missing, or its sha256 and size (only its size when that differs from
// the recorded one: the file is then not read).
type StoredCopyMeasure struct {
	Missing bool
	SHA256  string
	Size    int64
}

// PluginStoredCopyDamaged: the node's stored copy of a kept version is
// missing or no longer the bytes recorded when it was stored. Downloads of
// it are refused until a recheck finds it good again.
type PluginStoredCopyDamaged struct {
	SourceID       SourceID  `json:"source_id"`
	Plugin         string    `json:"plugin"`
	Version        string    `json:"version"`
	Missing        bool      `json:"missing"`
	SHA256         string    `json:"sha256,omitempty"` // measured; empty when missing or of another size (not read)
	Size           int64     `json:"size"`             // measured; 0 when missing
	RecordedSHA256 string    `json:"recorded_sha256"`
	RecordedSize   int64     `json:"recorded_size"`
	At             time.Time `json:"at"`
}

// Reason says in words what was found, for the read models and the feed.
func (e PluginStoredCopyDamaged) Reason() string {
	switch {
	case e.Missing:
		return "missing: the stored file is gone"
	case e.SHA256 == "": // another size: not read, so not hashed
		return fmt.Sprintf("%d bytes measured, %d bytes recorded", e.Size, e.RecordedSize)
	}
	return fmt.Sprintf("sha256 %s and %d bytes measured, %s and %d bytes recorded", e.SHA256, e.Size, e.RecordedSHA256, e.RecordedSize)
}

// PluginStoredCopyRestored: a stored copy found damaged before is the
// recorded bytes again (restored from a backup, say).
type PluginStoredCopyRestored struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	At       time.Time `json:"at"`
}

// CheckStoredCopy records what a re-hash of a kept version's stored copy
// found: damage once (again only when what is measured changes), and the
// copy being good again after damage. A version that is unknown or pruned
// records nothing; nor does a good copy that was never found damaged. It
// says whether it recorded an event.
func (h *PluginHistory) CheckStoredCopy(version string, m StoredCopyMeasure, now time.Time) (recorded bool) {
	v, ok := h.versions[version]
	if !ok || v.Pruned {
		return false
	}
	if !m.Missing && m.SHA256 == v.SHA256 && m.Size == v.Size {
		if v.Damage == "" {
			return false
		}
		h.record(PluginStoredCopyRestored{SourceID: h.Source, Plugin: h.Plugin, Version: version, SHA256: m.SHA256, Size: m.Size, At: now})
		return true
	}
	e := PluginStoredCopyDamaged{SourceID: h.Source, Plugin: h.Plugin, Version: version, Missing: m.Missing,
		RecordedSHA256: v.SHA256, RecordedSize: v.Size, At: now}
	if !m.Missing {
		e.SHA256, e.Size = m.SHA256, m.Size
	}
	if e.Reason() == v.Damage {
		return false
	}
	h.record(e)
	return true
}

// applyStoredCopy keeps the current verdict on a version's stored copy.
func (h *PluginHistory) applyStoredCopy(version, damage string) {
	if v, ok := h.versions[version]; ok {
		v.Damage = damage
		h.versions[version] = v
	}
}
