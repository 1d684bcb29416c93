package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func TestSuspendAndResume(t *testing.T) {
	cases := []struct {
		name        string
		from        func(t *testing.T) *domain.Source
		quarantine  bool
		wantResumed domain.SourceStatus
	}{
		{"verified, plugins served", verifiedSource, false, domain.StatusVerified},
		{"verified, quarantined", verifiedSource, true, domain.StatusVerified},
		{"pending stays pending after resume", newSource, false, domain.StatusPending},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.from(t)
			at := t0.Add(time.Hour)
			if err := s.Suspend("  abuse report ", c.quarantine, "key_admin", at); err != nil {
				t.Fatal(err)
			}
			st := s.State()
			want := domain.Suspension{Reason: "abuse report", Quarantine: c.quarantine, By: "key_admin", At: at, From: c.wantResumed}
			if st.Status != domain.StatusSuspended || st.Suspension != want || s.Quarantined() != c.quarantine {
				t.Fatalf("after suspend: status %s, suspension %+v", st.Status, st.Suspension)
			}
			if err := s.CanSync(); !errors.Is(err, domain.ErrSourceSuspended) {
				t.Fatalf("a suspended source may sync: %v", err)
			}
			// Changing the quarantine flag while suspended keeps where a resume returns to.
			if err := s.Suspend("abuse report", !c.quarantine, "key_admin", at.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if got := s.State().Suspension; got.Quarantine == c.quarantine || got.From != c.wantResumed {
				t.Fatalf("re-suspension: %+v", got)
			}
			if got, want := replay(t, s).State(), s.State(); !reflect.DeepEqual(got, want) {
				t.Fatalf("replay differs:\n got %+v\nwant %+v", got, want)
			}
			if err := s.Resume("cleared", "key_admin", at.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			st = s.State()
			if st.Status != c.wantResumed || st.Suspension != (domain.Suspension{}) || s.Quarantined() {
				t.Fatalf("after resume: status %s, suspension %+v", st.Status, st.Suspension)
			}
			if !strings.Contains(st.LastChangeReason, "key_admin") || !strings.Contains(st.LastChangeReason, "cleared") {
				t.Fatalf("resume reason: %q", st.LastChangeReason)
			}
		})
	}
}

func TestSuspendRefusals(t *testing.T) {
	cases := []struct {
		name string
		act  func(s *domain.Source) error
		want error
	}{
		{"no reason", func(s *domain.Source) error { return s.Suspend(" ", false, "a", t0) }, domain.ErrInvalidInput},
		{"reason too long", func(s *domain.Source) error {
			return s.Suspend(strings.Repeat("x", domain.MaxSuspensionReason+1), false, "a", t0)
		}, domain.ErrInvalidInput},
		{"resume when not suspended", func(s *domain.Source) error { return s.Resume("", "a", t0) }, domain.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused(t, verifiedSource(t), c.act, c.want)
		})
	}
}

func TestSuspendSameAgainRecordsNothing(t *testing.T) {
	s := verifiedSource(t)
	if err := s.Suspend("r", true, "a", t0); err != nil {
		t.Fatal(err)
	}
	n := len(s.Changes())
	if err := s.Suspend("r", true, "a", t0.Add(time.Minute)); err != nil || len(s.Changes()) != n {
		t.Fatalf("same suspension again: err %v, %d events after %d", err, len(s.Changes()), n)
	}
}
