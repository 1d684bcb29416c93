package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// EventSourceListingRefused is a listing entry refused before any download.
const EventSourceListingRefused = "source.listing_entry_refused"

// SourceListingRefused records an entry of the publisher's listing that the
// node refused before downloading anything: a malformed entry, a slug that
// cannot name a file ("../x"), a field over its cap, a version that does not
// parse, an asset URL that cannot be built. It goes on the source's stream
// because such an entry may have no usable plugin name. Recorded once per
// (plugin, kind of refusal) (refusalKey): a sync every few minutes does not
// repeat it, nor does a new version of the same entry.
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
	// MaxRefusalsRemembered distinct (plugin, kind) refusals are recorded
	// per source, ever: past it, refusals are answered to the caller and
	// counted (SourceState.RefusalsNotRecorded) but not recorded one by one,
	// so a publisher inventing a new slug every sync adds no events, no
	// trust changes and nothing to the source's state, which goes into
	// every snapshot.
	MaxRefusalsRemembered = 200
)

// ListingRefusalsRecorded says what RecordListingRefusals did with a sync's
// refusals: Recorded new ones as events; NotRecorded new ones it could not
// take because the source remembers MaxRefusalsRemembered already (the
// sync's summary carries that count).
type ListingRefusalsRecorded struct{ Recorded, NotRecorded int }

// RecordListingRefusals records the refusals not recorded before (at most
// MaxRefusalsPerSync of them, and none past MaxRefusalsRemembered) and
// recomputes trust once for all of them: each counts as a failed check of
// the publisher's listing.
func (s *Source) RecordListingRefusals(refusals []ListingRefusal, now time.Time) (ListingRefusalsRecorded, error) {
	var out ListingRefusalsRecorded
	if err := s.Halted(); err != nil {
		return out, err
	}
	unremembered := map[string]bool{}
	for _, r := range refusals {
		e := SourceListingRefused{Plugin: truncate(r.Plugin, MaxRefusedPluginBytes), Version: truncate(r.Version, MaxRefusedVersionBytes),
			Reason: truncate(r.Reason, MaxRefusalReasonBytes), At: now}
		key := refusalKey(e)
		switch {
		case e.Reason == "" || s.state.RefusedListings[key]:
		case len(s.state.RefusedListings) >= MaxRefusalsRemembered:
			if !unremembered[key] {
				unremembered[key] = true
				out.NotRecorded++
			}
		case out.Recorded < MaxRefusalsPerSync:
			s.record(e)
			out.Recorded++
		}
	}
	if out.Recorded > 0 {
		s.recomputeTrust("listing entries refused", now)
	}
	return out, nil
}

// refusalKey names a refusal for RecordListingRefusals: the listed plugin
// and the kind of refusal, hashed, so that every key in the state (and the
// snapshots) has the same small size whatever the publisher listed.
func refusalKey(e SourceListingRefused) string {
	sum := sha256.Sum256([]byte(e.Plugin + "\x00" + RefusalKind(e.Reason)))
	return hex.EncodeToString(sum[:16])
}

// RefusalKind is a refusal's reason with the publisher's text taken out:
// every quoted string and rune literal emptied, every run of digits one
// '#'. The reasons quote what was listed (a version, a slug, a character)
// and give sizes, so a publisher changing a version, a length or a value
// each sync still gets the same kind of refusal, recorded once. Which field
// a cap refusal names is quoted too: the caps one entry passes count as one
// kind.
func RefusalKind(reason string) string {
	var b strings.Builder
	for i := 0; i < len(reason); {
		c := reason[i]
		switch {
		case c == '"':
			b.WriteString(`""`)
			i = quotedEnd(reason, i, '"', len(reason))
		case c == '\'' && quotedEnd(reason, i, '\'', 12) > 0:
			b.WriteString("''")
			i = quotedEnd(reason, i, '\'', 12)
		case c >= '0' && c <= '9':
			for i < len(reason) && reason[i] >= '0' && reason[i] <= '9' {
				i++
			}
			b.WriteByte('#')
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// quotedEnd is the index after the quote closing the one at s[i], looking
// at most limit bytes ahead; an unclosed '"' runs to the end, an unclosed
// single quote (an apostrophe in the text) is 0.
func quotedEnd(s string, i int, quote byte, limit int) int {
	for j := i + 1; j < len(s) && j-i <= limit; j++ {
		switch s[j] {
		case '\\':
			j++
		case quote:
			return j + 1
		}
	}
	if quote == '"' {
		return len(s)
	}
	return 0
}

func (st *SourceState) applyListingRefused(e SourceListingRefused) {
	if st.RefusedListings == nil {
		st.RefusedListings = map[string]bool{}
	}
	// Streams recorded before the bound may hold more: the state keeps
	// the first MaxRefusalsRemembered.
	if len(st.RefusedListings) < MaxRefusalsRemembered {
		st.RefusedListings[refusalKey(e)] = true
	}
	st.TrustInputs.RefusedEntries++
	st.LastRefusal, st.LastRefusalAt = e.Summary(), e.At
}
