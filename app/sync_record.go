package app

import (
	"time"

	"github.com/pfn-network/pfn/domain"
)

// syncRecording gathers what a sync answers and records.
type syncRecording struct {
	result      *SyncResult
	now         time.Time
	subscribers int // the count the trust score needs, known without a write of its own
	sum         domain.SyncSummary
	refusals    []domain.ListingRefusal
	newPlugins  int
	// feed is the upstream feed's cursor to keep (sync_feed.go), kept only
	// when nothing is left for a later sync to retry (incomplete false).
	feed       *domain.FeedMark
	incomplete bool
}

func (r *syncRecording) answer(p ListedPlugin, reason string) {
	r.result.Rejected = append(r.result.Rejected, Rejection{Plugin: p.Slug, Version: p.Version, Reason: reason})
}

// reject reports a refusal on every sync and records it once; it says
// whether this sync recorded it (a penalty is due once, too).
func (r *syncRecording) reject(hist *domain.PluginHistory, p ListedPlugin, reason string) (recorded bool) {
	r.answer(p, reason)
	return hist.RecordRejected(p.Version, reason, r.now)
}

// step records one planned decision. Entries refused before any download
// are recorded on the source, once per plugin and kind of refusal, and
// lower its trust once; the rest are recorded once on the plugin's history
// and reported on every sync.
func (r *syncRecording) step(s planStep) {
	p := s.plugin
	listing := domain.Listing{Version: p.Version, Signature: p.Signature, SHA256: p.SHA256}
	switch s.kind {
	case stepRefuse:
		r.answer(p, s.reason)
		r.refusals = append(r.refusals, domain.ListingRefusal{Plugin: p.Slug, Version: p.Version, Reason: s.reason})
	case stepTampered:
		r.answer(p, "tampering: "+s.reason+"; the first copy stays")
		if _, recorded := s.history.Consider(listing, r.now); recorded {
			r.sum.InvalidSignatures++
		}
	case stepUnsigned:
		if r.reject(s.history, p, s.reason) {
			r.sum.InvalidSignatures++
		}
	case stepUnattested:
		r.reject(s.history, p, s.reason) // the node's policy or the publisher's promise, not a forgery: no penalty
	case stepRollback:
		s.history.Consider(listing, r.now) // records the rollback, once
		r.answer(p, s.reason)
	}
}
