package domain

import (
	"fmt"
	"strings"
	"time"
)

// Event type names of an admin's suspension and resumption of a source.
const (
	EventSourceSuspended = "source.suspended"
	EventSourceResumed   = "source.resumed"
)

// MaxSuspensionReason bounds the reason an admin gives, so an event (and
// every catalogue entry showing it) stays small.
const MaxSuspensionReason = 500

// SourceSuspended records an admin stopping all work against a source; with
// Quarantine its plugins also stop being served. Suspending a suspended
// source again records the new reason and quarantine flag.
type SourceSuspended struct {
	Reason     string       `json:"reason"`
	Quarantine bool         `json:"quarantine"`
	By         string       `json:"by"`   // the admin's key id
	From       SourceStatus `json:"from"` // the status a resume returns to
	At         time.Time    `json:"at"`
}

// SourceResumed records an admin undoing a suspension.
type SourceResumed struct {
	Reason string       `json:"reason,omitempty"`
	By     string       `json:"by"`
	To     SourceStatus `json:"to"`
	At     time.Time    `json:"at"`
}

func (SourceSuspended) EventType() string       { return EventSourceSuspended }
func (e SourceSuspended) OccurredAt() time.Time { return e.At }
func (SourceResumed) EventType() string         { return EventSourceResumed }
func (e SourceResumed) OccurredAt() time.Time   { return e.At }

// Suspension is what an admin said when suspending a source; zero when the
// source is not suspended.
type Suspension struct {
	Reason     string
	Quarantine bool
	By         string
	At         time.Time
	From       SourceStatus // the status before the suspension
}

// Suspend stops all work against the source until an admin resumes it;
// with quarantine its plugins stop being served too.
func (s *Source) Suspend(reason string, quarantine bool, by string, now time.Time) error {
	if s.state.Status == StatusRemoved {
		return fmt.Errorf("source %s is removed; add it again instead: %w", s.state.ID, ErrConflict)
	}
	reason, err := CheckAdminReason(reason, "suspension")
	if err != nil {
		return err
	}
	from := s.state.Status
	if from == StatusSuspended {
		cur := s.state.Suspension
		if cur.Reason == reason && cur.Quarantine == quarantine {
			return nil
		}
		from = cur.From
	}
	s.record(SourceSuspended{Reason: reason, Quarantine: quarantine, By: by, From: from, At: now})
	s.changeStatus(StatusSuspended, reason, now)
	return nil
}

// Resume undoes a suspension: the source returns to the status it had.
func (s *Source) Resume(reason, by string, now time.Time) error {
	if s.state.Status != StatusSuspended {
		return fmt.Errorf("source is %s, not suspended: %w", s.state.Status, ErrConflict)
	}
	to := s.state.Suspension.From
	if to.IsZero() || to == StatusSuspended {
		// Suspended before suspensions recorded where they came from: the
		// admin's resume is the explicit action that trusts it again.
		to = StatusVerified
	}
	reason = strings.TrimSpace(reason)
	s.record(SourceResumed{Reason: reason, By: by, To: to, At: now})
	why := "resumed by " + by
	if reason != "" {
		why += ": " + reason
	}
	s.changeStatus(to, why, now)
	return nil
}

// Quarantined tells whether the source's plugins must not be served.
func (s *Source) Quarantined() bool {
	return s.state.Status == StatusSuspended && s.state.Suspension.Quarantine
}

func (st *SourceState) applySuspension(e SourceEvent) {
	switch e := e.(type) {
	case SourceSuspended:
		st.Suspension = Suspension{Reason: e.Reason, Quarantine: e.Quarantine, By: e.By, At: e.At, From: e.From}
	case SourceResumed:
		st.Suspension = Suspension{}
	}
}
