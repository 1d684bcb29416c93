package domain_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestComputeTrust(t *testing.T) {
	now := t0.Add(45 * 24 * time.Hour)
	verified := domain.TrustInputs{Verifications: 1, LastProofOK: true, FirstVerifiedAt: t0}
	healthy := verified
	healthy.HealthChecks, healthy.UptimeAvg, healthy.ResponseMSAvg = 10, 1, 100
	healthy.ValidSignatures, healthy.Subscribers = 20, 100
	tests := []struct {
		name     string
		in       domain.TrustInputs
		wantZero bool
		lowerBy  *domain.TrustInputs // the score must be below this input's score
	}{
		{name: "never verified", in: domain.TrustInputs{HealthChecks: 5, UptimeAvg: 1}, wantZero: true},
		{name: "last proof failed", in: domain.TrustInputs{Verifications: 3, FailedProofs: 1, FirstVerifiedAt: t0}, wantZero: true},
		{name: "verified, no other data", in: verified},
		{name: "healthy", in: healthy},
		{name: "slow", in: func() domain.TrustInputs { x := healthy; x.ResponseMSAvg = 4000; return x }(), lowerBy: &healthy},
		{name: "down half the time", in: func() domain.TrustInputs { x := healthy; x.UptimeAvg = 0.5; return x }(), lowerBy: &healthy},
		{name: "bad signatures", in: func() domain.TrustInputs { x := healthy; x.InvalidSignatures = 20; return x }(), lowerBy: &healthy},
		{name: "new source", in: func() domain.TrustInputs { x := healthy; x.FirstVerifiedAt = now; return x }(), lowerBy: &healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.ComputeTrust(tt.in, now)
			if got != domain.ComputeTrust(tt.in, now) {
				t.Fatal("not deterministic")
			}
			if got.Score < 0 || got.Score > 1 {
				t.Fatalf("score %v out of [0,1]", got.Score)
			}
			if tt.wantZero != (got.Score == 0) {
				t.Fatalf("score %v (components %+v), want zero: %v", got.Score, got, tt.wantZero)
			}
			if tt.lowerBy != nil {
				if ref := domain.ComputeTrust(*tt.lowerBy, now); got.Score >= ref.Score {
					t.Fatalf("score %v not below %v", got.Score, ref.Score)
				}
			}
		})
	}
	if s := domain.ComputeTrust(healthy, t0.Add(365*24*time.Hour)).Score; s != 1 {
		t.Fatalf("perfect year-old source scores %v, want 1", s)
	}
}
