package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// A source whose upstream is a PFN node with a transparency log (issue
// #16) is watched through that log: each sync that fetches a listing
// checks the upstream's current checkpoint against the one it last
// trusted (app/sync_log.go). A log that shrank, forked, was rewritten or
// holds an entry other than its hashes say is recorded once, and the
// source is not synced again until an admin accepts the log or removes
// the source: a log that lies about its past says nothing about what it
// serves now.

// Event type names of the upstream log's watch.
const (
	EventSourceLogInconsistent = "source.log_inconsistent"
	EventSourceLogAccepted     = "source.log_accepted"
)

// Kinds of inconsistency (internal/logwatch names the first four); an
// upstream that announces its log under another origin than the one of
// the checkpoint trusted here: another log, whose history says nothing of
// the one trusted; and an upstream that no longer announces the log a
// checkpoint is trusted of: were that enough to stop the checks, a node
// that rewrote its log would only have to stop announcing it.
const (
	LogFaultShrunk    = "shrunk"
	LogFaultForked    = "forked"
	LogFaultRewritten = "rewritten"
	LogFaultEntry     = "entry"
	LogFaultOrigin    = "origin"
	LogFaultWithdrawn = "withdrawn"
)

// MaxLogCheckpoint bounds a signed checkpoint kept in an event or the
// state: the largest a log reader accepts.
const MaxLogCheckpoint = tlogtiles.MaxCheckpoint

// maxLogReason bounds what a check's reason keeps.
const maxLogReason = 1000

// SourceLogInconsistent records the upstream's log failing a consistency
// check: what it was (kind, reason), the signed checkpoint last trusted
// and the one the upstream offered instead.
type SourceLogInconsistent struct {
	Kind    string    `json:"kind"`
	Reason  string    `json:"reason"`
	Trusted string    `json:"trusted"`
	Offered string    `json:"offered"`
	At      time.Time `json:"at"`
}

// SourceLogAccepted records an admin accepting the upstream's log after a
// fault: the trusted checkpoint is dropped and the next sync pins the
// upstream's then-current one.
type SourceLogAccepted struct {
	Reason string    `json:"reason"`
	By     string    `json:"by,omitempty"` // the admin's key id
	At     time.Time `json:"at"`
}

func (SourceLogInconsistent) EventType() string       { return EventSourceLogInconsistent }
func (e SourceLogInconsistent) OccurredAt() time.Time { return e.At }
func (SourceLogAccepted) EventType() string           { return EventSourceLogAccepted }
func (e SourceLogAccepted) OccurredAt() time.Time     { return e.At }

// LogFault is the inconsistency in force: syncs stop until it is accepted.
type LogFault struct {
	Kind    string
	Reason  string
	Offered string
	At      time.Time
}

// RecordLogInconsistency records the upstream's log failing a check. The
// first fault stands until an admin accepts the log: a second one (a sync
// that raced the first) records nothing.
func (s *Source) RecordLogInconsistency(kind, reason, offered string, now time.Time) error {
	if err := s.Halted(); err != nil {
		return err
	}
	switch kind {
	case LogFaultShrunk, LogFaultForked, LogFaultRewritten, LogFaultEntry, LogFaultOrigin, LogFaultWithdrawn:
	default:
		return fmt.Errorf("unknown log inconsistency %q: %w", truncate(kind, 40), ErrInvalidInput)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("a log inconsistency needs a reason: %w", ErrInvalidInput)
	}
	if len(offered) > MaxLogCheckpoint {
		return fmt.Errorf("offered checkpoint of %d bytes, at most %d: %w", len(offered), MaxLogCheckpoint, ErrInvalidInput)
	}
	if s.state.LogFault != nil {
		return nil
	}
	s.record(SourceLogInconsistent{Kind: kind, Reason: truncate(reason, maxLogReason), Trusted: s.state.UpstreamLog,
		Offered: offered, At: now})
	return nil
}

// AcceptUpstreamLog is an admin's decision to trust the upstream's log
// again after a fault: the fault and the trusted checkpoint go, and the
// next sync pins the checkpoint the upstream then serves (or, after a
// withdrawn log, syncs as from an upstream without one).
func (s *Source) AcceptUpstreamLog(reason, by string, now time.Time) error {
	if err := s.Halted(); err != nil {
		return err
	}
	if s.state.LogFault == nil {
		return fmt.Errorf("the upstream's transparency log of %s has no fault to accept: %w", s.state.ID, ErrConflict)
	}
	reason, err := CheckAdminReason(reason, "log acceptance")
	if err != nil {
		return err
	}
	s.record(SourceLogAccepted{Reason: reason, By: by, At: now})
	return nil
}

// logFaultRefusal is CanSync's answer while a fault is in force.
func (st SourceState) logFaultRefusal() error {
	f := st.LogFault
	if f == nil {
		return nil
	}
	return fmt.Errorf("the upstream's transparency log failed a consistency check (%s: %s) at %s; an admin must accept the log "+
		"(POST /federation/accept-upstream-log) or remove the source: %w", f.Kind, f.Reason, f.At.UTC().Format(time.RFC3339), ErrConflict)
}

func (st *SourceState) applyLog(e SourceEvent) {
	switch e := e.(type) {
	case SourceLogInconsistent:
		st.LogFault = &LogFault{Kind: e.Kind, Reason: e.Reason, Offered: e.Offered, At: e.At}
	case SourceLogAccepted:
		st.LogFault = nil
		st.UpstreamLog = ""
	}
}

// checkLogOrigin bounds an announced log origin ("" when none) as every
// log reader does (a name such as "pfn/0123456789abcdef").
func checkLogOrigin(origin string) error {
	if len(origin) > tlogtiles.MaxOrigin {
		return fmt.Errorf("publisher's log origin is longer than %d bytes: %w", tlogtiles.MaxOrigin, ErrInvalidInput)
	}
	return nil
}
