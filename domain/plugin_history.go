package domain

import (
	"fmt"
	"slices"
	"time"
)

// PluginEvent is an event of one (source, plugin) stream.
type PluginEvent interface {
	EventType() string
	pluginEvent() // sealed (events_sealed.go)
}

func (PluginMirrored) EventType() string       { return EventPluginMirrored }
func (PluginRejected) EventType() string       { return EventPluginRejected }
func (PluginTampered) EventType() string       { return EventPluginTampered }
func (PluginRolledBack) EventType() string     { return EventPluginRolledBack }
func (PluginVersionUpdated) EventType() string { return EventPluginVersionUpdate }
func (PluginPruned) EventType() string         { return EventPluginPruned }

// MirroredVersion is what the node recorded at a version's first sight.
type MirroredVersion struct {
	SHA256     string
	Signature  string
	BlobKey    string
	Size       int64
	Pruned     bool   // its file was removed by the retention policy
	Damage     string // what the last recheck found wrong with the stored copy; "" while it is good
	Yanked     bool   // an admin pulled it from service (yank.go)
	YankReason string
	YankedBy   string // the yank's actor: an admin's key, or an upstream node (UpstreamActor)
}

// Listing is one plugin version as the publisher lists it now.
type Listing struct {
	Version   string
	Signature string
	SHA256    string // optional
}

// PluginHistory is the mirror's record of one plugin of one source. It
// decides what a new listing means: nothing new, a version to download,
// tampering with a version already mirrored, or a rollback.
type PluginHistory struct {
	Source   SourceID
	Plugin   string
	versions map[string]MirroredVersion
	latest   string
	reported map[string]bool // problems already recorded, so a sync every few minutes does not repeat them
	Root[PluginEvent]
}

func NewPluginHistory(source SourceID, plugin string) *PluginHistory {
	return &PluginHistory{Source: source, Plugin: plugin, versions: map[string]MirroredVersion{}, reported: map[string]bool{}}
}

// Load replays the stored history.
func (h *PluginHistory) Load(history []PluginEvent) {
	for _, e := range history {
		h.apply(e)
	}
	h.loadedAt(int64(len(history)))
}

// Consider looks at a listing of a valid version and says whether to
// download it, and whether it recorded a problem (a problem already
// recorded is not recorded again). A version already mirrored is never downloaded again: a
// changed signature or sha256 for it is recorded as tampering (the first
// copy stays); a version below the latest mirrored one is recorded as a
// rollback (the latest stays).
func (h *PluginHistory) Consider(l Listing, now time.Time) (download, recorded bool) {
	if _, ok := h.versions[l.Version]; ok {
		if detail := h.Tampering(l); detail != "" {
			recorded = h.reportOnce(PluginTampered{SourceID: h.Source, Plugin: h.Plugin, Version: l.Version, Detail: detail, At: now})
		}
		return false, recorded
	}
	if h.latest != "" && versionLess(l.Version, h.latest) {
		return false, h.reportOnce(PluginRolledBack{SourceID: h.Source, Plugin: h.Plugin, Listed: l.Version, Latest: h.latest, At: now})
	}
	return true, false
}

// Latest is the newest version mirrored ("" before the first).
func (h *PluginHistory) Latest() string { return h.latest }

// Mirrored is what was recorded for a version, and whether it was mirrored.
func (h *PluginHistory) Mirrored(version string) (MirroredVersion, bool) {
	v, ok := h.versions[version]
	return v, ok
}

// MirroredCount is the number of versions ever mirrored, pruned ones included.
func (h *PluginHistory) MirroredCount() int { return len(h.versions) }

// Tampering says how a listing of an already mirrored version contradicts
// what was mirrored ("" when it does not, or the version is new). It
// records nothing; Consider records it, once.
func (h *PluginHistory) Tampering(l Listing) string {
	v, ok := h.versions[l.Version]
	switch {
	case !ok:
		return ""
	case l.Signature != v.Signature:
		return "the publisher now signs this version differently"
	case l.SHA256 != "" && l.SHA256 != v.SHA256:
		return "the publisher now lists another sha256 for this version (" + l.SHA256 + ", mirrored " + v.SHA256 + ")"
	}
	return ""
}

// RecordMirrored records a stored copy, and the version update it is when
// an older version was mirrored before. Who vouches for its bytes follows
// from the verified signature_v2 it carries, or does not.
func (h *PluginHistory) RecordMirrored(m PluginMirrored) {
	m.BytesAttestedBy = AttestedByNode
	if m.PublisherSignatureV2 != "" {
		m.BytesAttestedBy = AttestedByPublisher
	}
	previous := h.latest
	h.record(m)
	if previous != "" && versionLess(previous, m.Version) {
		h.record(PluginVersionUpdated{SourceID: h.Source, Plugin: h.Plugin, From: previous, To: m.Version, At: m.At})
	}
}

// Prune records the removal of every stored version but the newest keep
// (never the latest) and returns what was pruned, for the caller to delete
// the files once the events are saved. keep 0 keeps everything.
func (h *PluginHistory) Prune(keep int, now time.Time) []PluginPruned {
	if keep <= 0 {
		return nil
	}
	var stored []string
	for v, mv := range h.versions {
		if !mv.Pruned {
			stored = append(stored, v)
		}
	}
	slices.SortFunc(stored, func(a, b string) int { return CompareVersions(b, a) })
	var out []PluginPruned
	for _, v := range stored[min(keep, len(stored)):] {
		reason := fmt.Sprintf("only the newest %d versions are kept (PFN_KEEP_VERSIONS)", keep)
		if e, ok := h.PruneVersion(v, reason, now); ok {
			out = append(out, e)
		}
	}
	return out
}

// PruneVersion records the removal of one stored version's file; it
// refuses (ok false) the latest version, the newest one not yanked (what
// consumers get as the latest while the latest is yanked), a pruned one and
// an unknown one.
func (h *PluginHistory) PruneVersion(version, reason string, now time.Time) (PluginPruned, bool) {
	v, known := h.versions[version]
	if !known || v.Pruned || version == h.latest || version == h.LatestServed() {
		return PluginPruned{}, false
	}
	e := PluginPruned{SourceID: h.Source, Plugin: h.Plugin, Version: version, BlobKey: v.BlobKey, Reason: reason, At: now}
	h.record(e)
	return e, true
}

// RecordRejected records why a listed version was not mirrored, once; it
// says whether it recorded it now.
func (h *PluginHistory) RecordRejected(version, reason string, now time.Time) (recorded bool) {
	return h.reportOnce(PluginRejected{SourceID: h.Source, Plugin: h.Plugin, Version: version, Reason: reason, At: now})
}

// RecordTampered records bytes that differ from what the publisher's own
// sha256 promised, found at download, once; it says whether it recorded it
// now.
func (h *PluginHistory) RecordTampered(version, detail string, now time.Time) (recorded bool) {
	return h.reportOnce(PluginTampered{SourceID: h.Source, Plugin: h.Plugin, Version: version, Detail: detail, At: now})
}

func (h *PluginHistory) reportOnce(e PluginEvent) (recorded bool) {
	if key := problemKey(e); h.reported[key] {
		return false
	}
	h.record(e)
	return true
}

func problemKey(e PluginEvent) string {
	switch e := e.(type) {
	case PluginRejected:
		return "rejected|" + e.Version + "|" + e.Reason
	case PluginTampered:
		return "tampered|" + e.Version + "|" + e.Detail
	case PluginRolledBack:
		return "rollback|" + e.Listed + "|" + e.Latest
	}
	return ""
}

func (h *PluginHistory) record(e PluginEvent) {
	h.apply(e)
	h.pend(e)
}

func (h *PluginHistory) apply(e PluginEvent) {
	switch e := e.(type) {
	case PluginMirrored:
		h.versions[e.Version] = MirroredVersion{SHA256: e.SHA256, Signature: e.PublisherSignature, BlobKey: e.BlobKey, Size: e.Size}
		if h.latest == "" || versionLess(h.latest, e.Version) {
			h.latest = e.Version
		}
	case PluginPruned:
		if v, ok := h.versions[e.Version]; ok {
			v.Pruned = true
			h.versions[e.Version] = v
		}
	case PluginStoredCopyDamaged:
		h.applyStoredCopy(e.Version, e.Reason())
	case PluginStoredCopyRestored:
		h.applyStoredCopy(e.Version, "")
	case PluginYanked:
		h.applyYank(e.Version, e.Reason, e.Actor, true)
	case PluginUnyanked:
		h.applyYank(e.Version, "", "", false)
	case PluginSourceRemoved:
		// The source's next incarnation starts from nothing (source_removal.go).
		h.versions, h.latest, h.reported = map[string]MirroredVersion{}, "", map[string]bool{}
	default:
		if key := problemKey(e); key != "" {
			h.reported[key] = true
		}
	}
}

// versionLess compares versions that were validated before they reached the
// history; an unparsable one (it cannot be) sorts as not less.
func versionLess(a, b string) bool {
	if _, err := ParseVersion(a); err != nil {
		return false
	}
	if _, err := ParseVersion(b); err != nil {
		return false
	}
	return CompareVersions(a, b) < 0
}
