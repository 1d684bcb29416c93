package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// A sync's revalidation is recorded with it, and where a capped one
// stopped is what the next sync starts after, replay included.
func TestRecordSyncKeepsWhereRevalidationStopped(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	capped := domain.Revalidation{Revalidated: 2, NoValidator: 1, Through: "tool@1.0.0"}
	if err := s.RecordSync(domain.SyncSummary{Revalidation: capped}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := s.State().RevalidatedThrough; got != "tool@1.0.0" || replay(t, s).State().RevalidatedThrough != got {
		t.Fatalf("RevalidatedThrough = %q after a capped revalidation", got)
	}
	if err := s.RecordSync(domain.SyncSummary{Revalidation: domain.Revalidation{Revalidated: 3}}, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := s.State().RevalidatedThrough; got != "" {
		t.Fatalf("RevalidatedThrough = %q after a revalidation that reached every version", got)
	}
	if err := s.RecordSync(domain.SyncSummary{Revalidation: domain.Revalidation{NoValidator: -1}}, t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("negative revalidation count: %v", err)
	}
}

func TestTamperingReported(t *testing.T) {
	h := domain.NewPluginHistory("a@h.example", "tool")
	if h.TamperingReported("1.0.0", "other bytes") {
		t.Fatal("reported before anything was recorded")
	}
	h.RecordTampered("1.0.0", "other bytes", t0)
	if !h.TamperingReported("1.0.0", "other bytes") || h.TamperingReported("1.0.0", "another finding") || h.TamperingReported("2.0.0", "other bytes") {
		t.Fatal("TamperingReported does not name exactly the finding recorded")
	}
}
