package domain

import (
	"fmt"
	"math"
	"time"
)

// EventHealthChecked is the type of a check in a source's health stream.
const EventHealthChecked = "health.checked"

// HealthChecked is one health check. It lives in the source's own health
// stream, not the source's stream, and carries the running figures after
// the check: the stream's last event is its whole state, so a year of
// five-minute checks (105,000 events) is read as one row. docs/health.md.
type HealthChecked struct {
	Up         bool      `json:"up"`
	ResponseMS int64     `json:"response_ms"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
	// Running figures, this check included.
	Checks        int     `json:"checks"`
	UptimeAvg     float64 `json:"uptime_avg"`
	ResponseMSAvg float64 `json:"response_ms_avg"`
}

func (HealthChecked) EventType() string       { return EventHealthChecked }
func (e HealthChecked) OccurredAt() time.Time { return e.At }

// SourceHealth is the health record of one source.
type SourceHealth struct {
	Root[HealthChecked]
	last HealthChecked
}

// LoadHealth resumes a health record from its stream's last event (nil
// for none) and the stream's version.
func LoadHealth(last *HealthChecked, version int64) *SourceHealth {
	h := &SourceHealth{}
	h.loadedAt(version)
	if last != nil {
		h.last = *last
	}
	return h
}

// Check records one check and returns it with the running figures.
// registered is when the source's current incarnation was registered: the
// health stream is the source id's and outlives a removal, so figures from
// checks before it belong to an earlier incarnation and start again from
// zero rather than feed the new one's trust.
func (h *SourceHealth) Check(registered time.Time, up bool, responseMS int64, errText string, now time.Time) (HealthChecked, error) {
	if responseMS < 0 {
		return HealthChecked{}, fmt.Errorf("negative response time: %w", ErrInvalidInput)
	}
	if !up && errText == "" {
		return HealthChecked{}, fmt.Errorf("a failed health check needs a reason: %w", ErrInvalidInput)
	}
	if h.last.At.Before(registered) {
		h.last = HealthChecked{}
	}
	c := HealthChecked{Up: up, ResponseMS: responseMS, Error: errText, At: now, Checks: h.last.Checks + 1,
		UptimeAvg: h.last.UptimeAvg, ResponseMSAvg: h.last.ResponseMSAvg}
	v := 0.0
	if up {
		v = 1
		c.ResponseMSAvg = SmoothResponseMS(c.ResponseMSAvg, responseMS)
	}
	if h.last.Checks == 0 {
		c.UptimeAvg = v
	} else {
		c.UptimeAvg += healthSmoothing * (v - c.UptimeAvg)
	}
	h.last = c
	h.pend(c)
	return c, nil
}

func (h *SourceHealth) Last() HealthChecked { return h.last }

// When a health figure is worth a SourceHealthSummarized event in the
// source's stream: the trust score moves with it, but most checks change
// nothing that matters.
const (
	summaryUptimeStep   = 0.05           // uptime average moved by five points
	summaryLatencyShare = 0.10           // response average moved by a tenth...
	summaryLatencyMinMS = 20.0           // ...and by at least 20 ms
	summaryMaxAge       = 24 * time.Hour // and at least once a day while checks run
)

// needsSummary reports whether check c changes what the source knows about
// its health enough to be recorded in the source's own stream.
func (st SourceState) needsSummary(c HealthChecked) bool {
	in := st.TrustInputs
	if in.HealthChecks == 0 || c.Up != st.LastHealthUp || c.At.Sub(st.LastHealthAt) >= summaryMaxAge {
		return true
	}
	if math.Abs(c.UptimeAvg-in.UptimeAvg) >= summaryUptimeStep {
		return true
	}
	d := math.Abs(c.ResponseMSAvg - in.ResponseMSAvg)
	return d >= summaryLatencyMinMS && d >= summaryLatencyShare*in.ResponseMSAvg
}
