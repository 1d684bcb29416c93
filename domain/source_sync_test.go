package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestRecordSyncFeedsSignatureCountsToTrustInOneEvent(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	before := len(s.Changes())
	sum := domain.SyncSummary{Mirrored: 3, Rejected: 1, PluginCount: 3, ValidSignatures: 3, InvalidSignatures: 1}
	if err := s.RecordSync(sum, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	synced := 0
	for _, e := range s.Changes()[before:] {
		switch e.(type) {
		case domain.SourceSynced:
			synced++
		case domain.SourceSignatureChecked:
			t.Fatalf("a sync still records one event per signature: %T", e)
		}
	}
	st := s.State()
	if synced != 1 || st.TrustInputs.ValidSignatures != 3 || st.TrustInputs.InvalidSignatures != 1 || st.PluginCount != 3 {
		t.Fatalf("synced events %d, inputs %+v, plugins %d", synced, st.TrustInputs, st.PluginCount)
	}
	if st.Trust.Signatures != 0.75 {
		t.Fatalf("signature component %v, want 0.75", st.Trust.Signatures)
	}
	if got := replay(t, s).State().TrustInputs; got != st.TrustInputs {
		t.Fatalf("replay: %+v, want %+v", got, st.TrustInputs)
	}
	if err := s.RecordSync(domain.SyncSummary{Mirrored: -1}, t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("negative count: %v", err)
	}
}

// Streams written before syncs counted signatures still load.
func TestEarlySignatureCheckEventsStillCount(t *testing.T) {
	s := newSource(t)
	_ = s.RecordOwnershipProof(true, "", t0)
	history := append(s.Changes(),
		domain.SourceSignatureChecked{Valid: true, At: t0},
		domain.SourceSignatureChecked{Valid: false, At: t0},
		domain.SourceSynced{Mirrored: 1, PluginCount: 1, ValidSignatures: 2, At: t0})
	r, err := domain.LoadSource(history)
	if err != nil {
		t.Fatal(err)
	}
	if in := r.State().TrustInputs; in.ValidSignatures != 3 || in.InvalidSignatures != 1 {
		t.Fatalf("inputs %+v", in)
	}
}

func TestResumeFromASnapshotEqualsAFullReplay(t *testing.T) {
	s := verifiedSource(t)
	run(t, s, domain.LoadHealth(nil, 0), []step{{1, "health-down"}, {2, "sync-failed"}, {3, "health-down"}, {4, "health-up"}, {5, "sync-ok"}})
	all := s.Changes()
	for cut := 1; cut < len(all); cut++ {
		head, err := domain.LoadSource(all[:cut])
		if err != nil {
			t.Fatal(err)
		}
		resumed, err := domain.ResumeSource(head.State(), int64(cut), all[cut:])
		if err != nil {
			t.Fatal(err)
		}
		full := replay(t, s)
		if !reflect.DeepEqual(resumed.State(), full.State()) || resumed.Version() != full.Version() {
			t.Fatalf("cut at %d: resumed %+v v%d, full %+v v%d", cut, resumed.State(), resumed.Version(), full.State(), full.Version())
		}
	}
	if _, err := domain.ResumeSource(domain.SourceState{}, 3, nil); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("empty snapshot: %v", err)
	}
}
