package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func removedSource(t *testing.T, keys ...string) *domain.Source {
	t.Helper()
	s := verifiedSource(t)
	if err := s.Remove(" malware ", "key_admin", keys, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRemoveSource(t *testing.T) {
	s := removedSource(t, "a@h/p/1.zip", "a@h/p/2.zip")
	st := s.State()
	want := domain.Removal{Reason: "malware", By: "key_admin", At: t0.Add(time.Hour), PendingFiles: []string{"a@h/p/1.zip", "a@h/p/2.zip"}}
	if st.Status != domain.StatusRemoved || !reflect.DeepEqual(st.Removal, want) || st.Incarnation != 1 {
		t.Fatalf("after remove: status %s, removal %+v, incarnation %d", st.Status, st.Removal, st.Incarnation)
	}
	if !strings.Contains(st.LastChangeReason, "key_admin") || !strings.Contains(st.LastChangeReason, "malware") {
		t.Fatalf("status reason %q names neither actor nor reason", st.LastChangeReason)
	}
	if got := replay(t, s).State(); !reflect.DeepEqual(got, st) {
		t.Fatalf("replay differs:\n got %+v\nwant %+v", got, st)
	}
	s.RecordFilesDeleted(t0.Add(2 * time.Hour))
	if len(s.PendingFiles()) != 0 {
		t.Fatalf("files still pending after deletion: %v", s.PendingFiles())
	}
	n := len(s.Changes())
	s.RecordFilesDeleted(t0.Add(3 * time.Hour))
	if len(s.Changes()) != n {
		t.Fatal("a second files-deleted recorded an event")
	}
}

// Nothing runs against a removed source, and it cannot be removed,
// suspended or resumed: only added again.
func TestRemovedSourceRefuses(t *testing.T) {
	cases := []struct {
		name string
		act  func(s *domain.Source) error
		want error
	}{
		{"remove twice", func(s *domain.Source) error { return s.Remove("again", "a", nil, t0) }, domain.ErrConflict},
		{"suspend", func(s *domain.Source) error { return s.Suspend("r", false, "a", t0) }, domain.ErrConflict},
		{"resume", func(s *domain.Source) error { return s.Resume("", "a", t0) }, domain.ErrConflict},
		{"sync", func(s *domain.Source) error { return s.CanSync() }, domain.ErrSourceRemoved},
		{"health", func(s *domain.Source) error {
			return s.ObserveHealth(domain.HealthChecked{Up: true, ResponseMS: 1, At: t0, Checks: 1, UptimeAvg: 1})
		}, domain.ErrSourceRemoved},
		{"ownership proof", func(s *domain.Source) error { return s.RecordOwnershipProof(true, "", t0) }, domain.ErrSourceRemoved},
		{"failure", func(s *domain.Source) error { return s.RecordFailure(domain.FailureSync, "x", t0) }, domain.ErrSourceRemoved},
		{"tampering", func(s *domain.Source) error { return s.RecordTampering(1, t0) }, domain.ErrSourceRemoved},
		{"info", func(s *domain.Source) error {
			return s.RefreshInfo(domain.PublisherInfo{AssetDomain: "plugins.example.com", NamingScheme: "n"}, t0)
		}, domain.ErrSourceRemoved},
		{"re-add with files pending", func(s *domain.Source) error {
			return s.Reregister(newSource(t).State(), t0)
		}, domain.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused(t, removedSource(t, "k"), c.act, c.want)
		})
	}
}

// refused checks that act fails with want and records nothing.
func refused(t *testing.T, s *domain.Source, act func(*domain.Source) error, want error) {
	t.Helper()
	before := len(s.Changes())
	if err := act(s); !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	if len(s.Changes()) != before {
		t.Fatal("a refused command recorded events")
	}
}

func TestRemoveRefusals(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		source func(t *testing.T) *domain.Source
		want   error
	}{
		{"no reason", " ", verifiedSource, domain.ErrInvalidInput},
		{"reason too long", strings.Repeat("x", domain.MaxSuspensionReason+1), verifiedSource, domain.ErrInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.source(t)
			before := len(s.Changes())
			if err := s.Remove(c.reason, "a", nil, t0); !errors.Is(err, c.want) || len(s.Changes()) != before {
				t.Fatalf("got %v with %d new events, want %v", err, len(s.Changes())-before, c.want)
			}
		})
	}
}

// A suspended source may be removed; the removal ends the suspension.
func TestRemoveSuspendedSource(t *testing.T) {
	s := verifiedSource(t)
	if err := s.Suspend("abuse", true, "a", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("abuse confirmed", "a", nil, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Status != domain.StatusRemoved || st.Suspension != (domain.Suspension{}) || s.Quarantined() {
		t.Fatalf("after remove: %s %+v", st.Status, st.Suspension)
	}
}

// A source added again is its next incarnation: nothing of the earlier one
// carries over, and a replay of the whole stream agrees.
func TestReregisterStartsNewIncarnation(t *testing.T) {
	cases := []struct {
		name    string
		pending []string
		running bool // the source was never removed
		want    error
	}{
		{"removed, files deleted", []string{"k"}, false, nil},
		{"removed without files", nil, false, nil},
		{"not removed", nil, true, domain.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := verifiedSource(t)
			if !c.running {
				s = removedSource(t, c.pending...)
				s.RecordFilesDeleted(t0.Add(2 * time.Hour))
			}
			fresh := newSource(t).State()
			err := s.Reregister(fresh, t0.Add(3*time.Hour))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != nil {
				return
			}
			st := s.State()
			if st.Incarnation != 2 || st.Status != domain.StatusPending || st.Removal.Reason != "" ||
				st.TrustInputs.Verifications != 0 || !st.PublicKey.Equal(fresh.PublicKey) {
				t.Fatalf("new incarnation carries the old one: %+v", st)
			}
			if got := replay(t, s).State(); !reflect.DeepEqual(got, st) {
				t.Fatalf("replay differs:\n got %+v\nwant %+v", got, st)
			}
		})
	}
}

func TestForgetClearsPluginHistory(t *testing.T) {
	h := domain.NewPluginHistory("a@h", "p")
	for _, v := range []string{"1.0.0", "1.1.0"} {
		h.RecordMirrored(domain.PluginMirrored{SourceID: "a@h", Plugin: "p", Version: v, SHA256: "s" + v, BlobKey: "key-" + v,
			PublisherSignature: "sig" + v, At: t0})
	}
	if _, ok := h.PruneVersion("1.0.0", "quota", t0); !ok {
		t.Fatal("prune refused")
	}
	keys := h.Forget("malware", 1, t0)
	if !reflect.DeepEqual(keys, []string{"key-1.1.0"}) {
		t.Fatalf("files to delete: %v (a pruned file is deleted already)", keys)
	}
	if h.Latest() != "" || h.MirroredCount() != 0 {
		t.Fatalf("history still holds versions: latest %q, %d", h.Latest(), h.MirroredCount())
	}
	if download, _ := h.Consider(domain.Listing{Version: "1.1.0", Signature: "sig1.1.0"}, t0); !download {
		t.Fatal("a version of the removed incarnation is not mirrored afresh")
	}
	loaded := domain.NewPluginHistory("a@h", "p")
	loaded.Load(h.Changes())
	if loaded.Latest() != "" || loaded.MirroredCount() != 0 {
		t.Fatal("a replay of the history keeps the removed versions")
	}
}

// A source loaded from a snapshot taken before incarnations were counted
// (Incarnation 0) is its first incarnation: removed as 1, added again as 2.
func TestIncarnationOfAnOldSnapshot(t *testing.T) {
	st := verifiedSource(t).State()
	st.Incarnation = 0
	s, err := domain.ResumeSource(st, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Incarnation() != 1 {
		t.Fatalf("incarnation %d, want 1", s.Incarnation())
	}
	if err := s.Remove("gone", "a", nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Reregister(newSource(t).State(), t0); err != nil {
		t.Fatal(err)
	}
	changes := s.Changes()
	removed, _ := changes[0].(domain.SourceRemoved)
	if removed.Incarnation != 1 || s.Incarnation() != 2 {
		t.Fatalf("removed as %d, added again as %d; want 1 and 2", removed.Incarnation, s.Incarnation())
	}
}
