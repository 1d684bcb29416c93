package domain_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func verifiedSource(t *testing.T) *domain.Source {
	t.Helper()
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	return s
}

// step is one thing that happens to a source, hours after t0.
type step struct {
	at   float64
	kind string // "health-down", "health-up", "sync-failed", "storage-failed", "sync-ok"
}

func run(t *testing.T, s *domain.Source, h *domain.SourceHealth, steps []step) {
	t.Helper()
	for _, st := range steps {
		at := t0.Add(time.Duration(st.at * float64(time.Hour)))
		var err error
		switch st.kind {
		case "health-down", "health-up":
			var c domain.HealthChecked
			if c, err = h.Check(time.Time{}, st.kind == "health-up", 80, "connection refused", at); err == nil {
				err = s.ObserveHealth(c)
			}
		case "sync-failed":
			err = s.RecordFailure(domain.FailureSync, "author-data: 503", at)
		case "storage-failed":
			err = s.RecordFailure(domain.FailureStorage, "blob store unavailable: put: connection refused", at)
		case "sync-ok":
			err = s.RecordSync(domain.SyncSummary{}, at)
		}
		if err != nil {
			t.Fatalf("%s at %vh: %v", st.kind, st.at, err)
		}
	}
}

func TestFailurePolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
		want  domain.SourceStatus
	}{
		{"three health failures in a day", []step{{1, "health-down"}, {2, "health-down"}, {3, "health-down"}}, domain.StatusError},
		{"mixed sync and health failures count together", []step{{1, "sync-failed"}, {2, "health-down"}, {20, "sync-failed"}}, domain.StatusError},
		{"the node's own storage failing is not the publisher's failure", []step{{1, "storage-failed"}, {2, "storage-failed"},
			{3, "storage-failed"}, {4, "health-down"}, {5, "health-down"}}, domain.StatusVerified},
		{"two failures are not enough", []step{{1, "health-down"}, {2, "health-down"}, {3, "health-up"}}, domain.StatusVerified},
		{"failures outside the 24h window do not count", []step{{1, "health-down"}, {2, "health-down"}, {26, "health-down"}}, domain.StatusVerified},
		{"a health success recovers", []step{{1, "health-down"}, {2, "health-down"}, {3, "health-down"}, {4, "health-up"}}, domain.StatusVerified},
		{"a sync success recovers", []step{{1, "sync-failed"}, {2, "sync-failed"}, {3, "sync-failed"}, {4, "sync-ok"}}, domain.StatusVerified},
		{"after recovery the count starts again", []step{{1, "health-down"}, {2, "health-down"}, {3, "health-down"}, {4, "health-up"},
			{5, "health-down"}, {6, "health-down"}}, domain.StatusVerified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := verifiedSource(t)
			run(t, s, domain.LoadHealth(nil, 0), tc.steps)
			if got := s.State().Status; got != tc.want {
				t.Fatalf("status %s, want %s (reason %q)", got, tc.want, s.State().LastChangeReason)
			}
			if got := replay(t, s).State().Status; got != tc.want {
				t.Fatalf("replayed status %s, want %s", got, tc.want)
			}
		})
	}
}

func TestErrorHalvesTrustAndRecoveryIsAnEvent(t *testing.T) {
	s := verifiedSource(t)
	h := domain.LoadHealth(nil, 0)
	run(t, s, h, []step{{0.5, "health-up"}})
	before := s.State().Trust.Score
	run(t, s, h, []step{{1, "health-down"}, {2, "health-down"}, {3, "health-down"}})
	inError := s.State().Trust.Score
	if inError >= before/2+0.0001 {
		t.Fatalf("trust in error %v, before %v: not lowered enough", inError, before)
	}
	n := len(s.Changes())
	run(t, s, h, []step{{4, "health-down"}, {5, "health-down"}})
	for _, e := range s.Changes()[n:] {
		if _, ok := e.(domain.SourceFailureRecorded); ok {
			t.Fatalf("a health failure while in error went to the source's stream: %+v", e)
		}
	}
	run(t, s, h, []step{{6, "health-up"}})
	var recovered bool
	for _, e := range s.Changes()[n:] {
		if c, ok := e.(domain.SourceStatusChanged); ok && c.From == domain.StatusError && c.To == domain.StatusVerified {
			recovered = c.Reason == "recovered: health check succeeded"
		}
	}
	if !recovered || s.State().Trust.Score <= inError {
		t.Fatalf("no recovery event, or trust %v not above %v", s.State().Trust.Score, inError)
	}
}

func TestSyncFailureStaysVisibleUntilASuccessfulSync(t *testing.T) {
	s := verifiedSource(t)
	run(t, s, nil, []step{{1, "sync-failed"}})
	if s.State().LastSyncError != "author-data: 503" {
		t.Fatalf("last sync error %q", s.State().LastSyncError)
	}
	run(t, s, nil, []step{{2, "sync-ok"}})
	if s.State().LastSyncError != "" {
		t.Fatalf("last sync error after success %q", s.State().LastSyncError)
	}
}

// Steady checks do not grow the source's stream: a year of five-minute
// checks of a healthy publisher adds about one summary a day.
func TestSteadyHealthChecksAreSummarisedRarely(t *testing.T) {
	s := verifiedSource(t)
	h := domain.LoadHealth(nil, 0)
	n := len(s.Changes())
	const checks = 365 * 24 * 12
	for i := range checks {
		c, err := h.Check(time.Time{}, true, 100+int64(i%7), "", t0.Add(time.Duration(i)*5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ObserveHealth(c); err != nil {
			t.Fatal(err)
		}
	}
	added := len(s.Changes()) - n
	if added > 2*366 {
		t.Fatalf("%d checks added %d source events", checks, added)
	}
	if got := h.Last().Checks; got != checks {
		t.Fatalf("health stream counts %d checks, want %d", got, checks)
	}
	if in := s.State().TrustInputs; in.HealthChecks == 0 || in.UptimeAvg != 1 || in.ResponseMSAvg < 100 || in.ResponseMSAvg > 106 {
		t.Fatalf("summarised inputs %+v", in)
	}
}

// Tampering found by a recheck lowers trust but is not a sync: it neither
// clears the last sync error nor recovers a source in error.
func TestRecheckTamperingIsNotASync(t *testing.T) {
	s := verifiedSource(t)
	run(t, s, domain.LoadHealth(nil, 0), []step{{1, "sync-failed"}, {2, "sync-failed"}, {3, "sync-failed"}})
	before := s.State()
	if err := s.RecordTampering(2, t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	after := s.State()
	if after.Status != domain.StatusError || after.LastSyncError != before.LastSyncError || !after.LastSyncAt.Equal(before.LastSyncAt) {
		t.Fatalf("tampering changed sync state: %+v", after)
	}
	if after.TrustInputs.InvalidSignatures != before.TrustInputs.InvalidSignatures+2 || after.Trust.Signatures >= before.Trust.Signatures {
		t.Fatalf("signatures: before %+v / %v, after %+v / %v", before.TrustInputs, before.Trust.Signatures, after.TrustInputs, after.Trust.Signatures)
	}
}

// A storage failure is the sync's error until a sync succeeds, like a
// publisher's failure, but leaves the policy's count alone.
func TestStorageFailureIsTheLastSyncError(t *testing.T) {
	s := verifiedSource(t)
	run(t, s, domain.LoadHealth(nil, 0), []step{{1, "storage-failed"}})
	for _, src := range []*domain.Source{s, replay(t, s)} {
		if st := src.State(); st.LastSyncError == "" || len(st.RecentFailures) != 0 {
			t.Fatalf("last sync error %q, %d recent failures; want the error and none counted", st.LastSyncError, len(st.RecentFailures))
		}
	}
	run(t, s, domain.LoadHealth(nil, 0), []step{{2, "sync-ok"}})
	if e := s.State().LastSyncError; e != "" {
		t.Fatalf("last sync error %q after a successful sync", e)
	}
}
