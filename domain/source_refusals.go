package domain

import (
	"fmt"
	"time"
)

// EventSourceListingRefused is a listing entry refused before any download.
const EventSourceListingRefused = "source.listing_entry_refused"

// SourceListingRefused records an entry of the publisher's listing that the
// node refused before downloading anything: a malformed entry, a slug that
// cannot name a file ("../x"), a field over its cap. It goes on the source's
// stream because such an entry may have no usable plugin name. Recorded once
// per (plugin, version, reason): a sync every few minutes does not repeat it.
type SourceListingRefused struct {
	Plugin  string    `json:"plugin"` // as listed, cut to MaxRefusedPluginBytes
	Version string    `json:"version"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// Summary says which entry was refused and why, with the listed slug and
// version quoted: they are the publisher's text and may hold anything.
func (e SourceListingRefused) Summary() string {
	return fmt.Sprintf("listing entry %q version %q refused: %s", e.Plugin, e.Version, e.Reason)
}

func (SourceListingRefused) EventType() string       { return EventSourceListingRefused }
func (e SourceListingRefused) OccurredAt() time.Time { return e.At }

// ListingRefusal is one refused listing entry as a sync found it.
type ListingRefusal struct{ Plugin, Version, Reason string }

// Bounds on what a hostile listing can make the node record.
const (
	MaxRefusedPluginBytes  = 128 // the listed slug, cut
	MaxRefusedVersionBytes = 64
	MaxRefusalReasonBytes  = 512
	// MaxRefusalsPerSync new refusals are recorded per sync; the rest are
	// still answered to the caller and recorded by later syncs.
	MaxRefusalsPerSync = 100
)

// RecordListingRefusals records the refusals not recorded before (at most
// MaxRefusalsPerSync of them) and recomputes trust once for all of them:
// each counts as a failed check of the publisher's listing. It returns how
// many it recorded.
func (s *Source) RecordListingRefusals(refusals []ListingRefusal, now time.Time) (int, error) {
	if s.state.Status == StatusSuspended {
		return 0, ErrSourceSuspended
	}
	recorded := 0
	for _, r := range refusals {
		if recorded == MaxRefusalsPerSync {
			break
		}
		e := SourceListingRefused{Plugin: truncate(r.Plugin, MaxRefusedPluginBytes), Version: truncate(r.Version, MaxRefusedVersionBytes),
			Reason: truncate(r.Reason, MaxRefusalReasonBytes), At: now}
		if e.Reason == "" || s.state.RefusedListings[refusalKey(e)] {
			continue
		}
		s.record(e)
		recorded++
	}
	if recorded > 0 {
		s.recomputeTrust("listing entries refused", now)
	}
	return recorded, nil
}

func refusalKey(e SourceListingRefused) string {
	return e.Plugin + "\x00" + e.Version + "\x00" + e.Reason
}

func (st *SourceState) applyListingRefused(e SourceListingRefused) {
	if st.RefusedListings == nil {
		st.RefusedListings = map[string]bool{}
	}
	st.RefusedListings[refusalKey(e)] = true
	st.TrustInputs.RefusedEntries++
	st.LastRefusal, st.LastRefusalAt = e.Summary(), e.At
}
