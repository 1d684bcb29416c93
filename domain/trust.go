package domain

import (
	"math"
	"time"
)

// TrustInputs are the facts about a source that its trust score is a
// function of. The Source aggregate keeps them up to date from its events.
type TrustInputs struct {
	Verifications     int       // successful ownership proofs
	FailedProofs      int       // failed ownership proofs
	LastProofOK       bool      // the latest proof succeeded
	FirstVerifiedAt   time.Time // zero until the first success
	UptimeAvg         float64   // moving average of health checks being up, in [0,1]
	ResponseMSAvg     float64   // moving average response time of successful checks
	HealthChecks      int
	ValidSignatures   int
	InvalidSignatures int
	RefusedEntries    int // listing entries refused before download (bad slug, over a cap, malformed)
	Subscribers       int
	InError           bool // repeated failures (the failure policy)
}

// TrustScore is a score in [0,1] with the components it was computed from.
type TrustScore struct {
	Score        float64 `json:"score"`
	Verification float64 `json:"verification"`
	Uptime       float64 `json:"uptime"`
	Latency      float64 `json:"latency"`
	Signatures   float64 `json:"signatures"`
	Age          float64 `json:"age"`
	Subscribers  float64 `json:"subscribers"`
}

// Weights of the components; they sum to 1. docs/trust.md gives the reasons.
const (
	weightVerification = 0.35
	weightUptime       = 0.20
	weightLatency      = 0.10
	weightSignatures   = 0.20
	weightAge          = 0.10
	weightSubscribers  = 0.05
)

// Tuning constants of the components.
const (
	latencyGoodMS    = 200.0  // at or below: full latency component
	latencyBadMS     = 5000.0 // at or above: none
	ageFullDays      = 90.0   // days since first verification for full age component
	subscriberScale  = 5.0    // subscribers component is 1-exp(-n/5)
	neutralComponent = 0.5    // a component without data yet
	errorPenalty     = 0.5    // the score is halved while the source is in error
)

// ComputeTrust is deterministic: the same inputs and time give the same
// score. A source whose latest ownership proof did not succeed scores 0
// whatever else is true of it: nothing it serves can be attributed to the
// key holder.
func ComputeTrust(in TrustInputs, now time.Time) TrustScore {
	t := TrustScore{
		Verification: verificationComponent(in),
		Uptime:       neutralComponent,
		Latency:      neutralComponent,
		Signatures:   neutralComponent,
		Subscribers:  1 - math.Exp(-float64(max(in.Subscribers, 0))/subscriberScale),
	}
	if in.HealthChecks > 0 {
		t.Uptime = clamp01(in.UptimeAvg)
		t.Latency = clamp01((latencyBadMS - in.ResponseMSAvg) / (latencyBadMS - latencyGoodMS))
	}
	// A refused listing entry is a failed check of what the publisher
	// signs and lists, like a signature that does not verify.
	if n := in.ValidSignatures + in.InvalidSignatures + in.RefusedEntries; n > 0 {
		t.Signatures = float64(in.ValidSignatures) / float64(n)
	}
	if !in.FirstVerifiedAt.IsZero() {
		t.Age = clamp01(now.Sub(in.FirstVerifiedAt).Hours() / 24 / ageFullDays)
	}
	if in.LastProofOK {
		t.Score = weightVerification*t.Verification + weightUptime*t.Uptime + weightLatency*t.Latency +
			weightSignatures*t.Signatures + weightAge*t.Age + weightSubscribers*t.Subscribers
	}
	if in.InError {
		t.Score *= errorPenalty
	}
	t.Score = round4(clamp01(t.Score))
	return t.rounded()
}

// verificationComponent is the share of successful proofs, zero when the
// latest failed.
func verificationComponent(in TrustInputs) float64 {
	total := in.Verifications + in.FailedProofs
	if total == 0 || !in.LastProofOK {
		return 0
	}
	return float64(in.Verifications) / float64(total)
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Min(1, math.Max(0, v))
}

// round4 keeps scores stable across platforms and readable in events.
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

func (t TrustScore) rounded() TrustScore {
	t.Verification, t.Uptime, t.Latency = round4(t.Verification), round4(t.Uptime), round4(t.Latency)
	t.Signatures, t.Age, t.Subscribers = round4(t.Signatures), round4(t.Age), round4(t.Subscribers)
	return t
}
