package domain_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func newSource(t *testing.T) *domain.Source {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := domain.RegisterSource("https://Plugins.Example.com/", "author", b64(pub), "key_1", t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func replay(t *testing.T, s *domain.Source) *domain.Source {
	t.Helper()
	r, err := domain.LoadSource(s.Changes())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSourceLifecycle(t *testing.T) {
	s := newSource(t)
	st := s.State()
	if st.ID != "author@plugins.example.com" || st.Status != domain.StatusPending || st.Trust.Score != 0 {
		t.Fatalf("registered: %+v", st)
	}
	if err := s.CanSync(); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a pending source can sync: %v", err)
	}

	if err := s.RecordOwnershipProof(true, "", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Status != domain.StatusVerified || st.Trust.Score <= 0 {
		t.Fatalf("after a proof: status %s, trust %v", st.Status, st.Trust)
	}
	if err := s.CanSync(); err != nil {
		t.Fatalf("a verified source cannot sync: %v", err)
	}

	if err := s.RecordOwnershipProof(false, "signature does not verify", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	st = s.State()
	if st.Status != domain.StatusFailed || st.Trust.Score != 0 || st.LastFailure != "signature does not verify" {
		t.Fatalf("after a failed proof: %+v", st)
	}

	if err := s.Suspend("abuse report", false, "admin", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"sync":   s.CanSync(),
		"verify": s.RecordOwnershipProof(true, "", t0.Add(4*time.Minute)),
		"health": s.ObserveHealth(domain.HealthChecked{Up: true, ResponseMS: 10, Checks: 1, At: t0.Add(4 * time.Minute)}),
	} {
		if !errors.Is(err, domain.ErrSourceSuspended) {
			t.Errorf("%s on a suspended source: %v", name, err)
		}
	}

	if got, want := replay(t, s).State(), s.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("replay differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestEveryTrustChangeIsAnEvent(t *testing.T) {
	s := newSource(t)
	_ = s.RecordOwnershipProof(true, "", t0)
	h := domain.LoadHealth(nil, 0)
	for i := range 5 {
		c, err := h.Check(time.Time{}, i != 2, 100+int64(i)*50, "refused", t0.Add(time.Duration(i+1)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ObserveHealth(c); err != nil {
			t.Fatal(err)
		}
	}
	var last float64
	for _, e := range s.Changes() {
		if adj, ok := e.(domain.SourceTrustAdjusted); ok {
			if adj.Old != last || adj.Components.Score != adj.New {
				t.Fatalf("trust event %+v does not continue from %v", adj, last)
			}
			last = adj.New
		}
	}
	if last != s.State().Trust.Score || last == 0 {
		t.Fatalf("last trust event %v, state %v", last, s.State().Trust.Score)
	}
}

func TestFailedProofNeedsAReasonAndBadInputIsRefused(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(false, "", t0); err == nil {
		t.Fatal("failed proof without a reason accepted")
	}
	if _, err := domain.LoadHealth(nil, 0).Check(time.Time{}, true, -1, "", t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("negative response time: %v", err)
	}
	if err := s.RefreshInfo(domain.PublisherInfo{ProtocolVersion: "1.0.0"}, t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("info without asset domain: %v", err)
	}
	if _, err := domain.RegisterSource("https://x.example", "a", "not a key", "k", t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("bad key: %v", err)
	}
}
