package domain

import (
	"strings"
	"time"
)

// EventSourceUpstreamStatus records what an upstream PFN node says of the
// source it serves (SPEC15 §2 "source_status"): quarantined or removed
// there hides the source's plugins here (downloads answer 451 or 410 with
// the upstream's reason) until the upstream says active again. It is the
// smallest design that does this: one event on the source's stream, written
// only when the status changes, read by the catalogue and downloads; the
// plugin histories are left as they are, so nothing is re-downloaded when
// the upstream comes back.
const EventSourceUpstreamStatus = "source.upstream_status_changed"

// Upstream statuses that withhold a source's plugins.
const (
	UpstreamQuarantined = "quarantined"
	UpstreamRemoved     = "removed"
)

// SourceUpstreamStatusChanged: the upstream node's status of the source
// changed ("" or "active" when it serves it again).
type SourceUpstreamStatusChanged struct {
	Status string    `json:"status"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func (SourceUpstreamStatusChanged) EventType() string       { return EventSourceUpstreamStatus }
func (e SourceUpstreamStatusChanged) OccurredAt() time.Time { return e.At }

// RecordUpstreamStatus records the upstream node's status of the source
// when it differs from the last one recorded; only quarantined and removed
// are kept apart from active (a suspension upstream still lists).
func (s *Source) RecordUpstreamStatus(status, reason string, now time.Time) bool {
	if status != UpstreamQuarantined && status != UpstreamRemoved {
		status, reason = "", ""
	}
	reason = truncate(strings.TrimSpace(reason), 500)
	if status == s.state.UpstreamStatus && reason == s.state.UpstreamReason {
		return false
	}
	s.record(SourceUpstreamStatusChanged{Status: status, Reason: reason, At: now})
	return true
}
