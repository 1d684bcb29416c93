package domain_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

func refusalsIn(events []domain.SourceEvent) (refused, trust int) {
	for _, e := range events {
		switch e.(type) {
		case domain.SourceListingRefused:
			refused++
		case domain.SourceTrustAdjusted:
			trust++
		}
	}
	return refused, trust
}

func TestListingRefusalsAreRecordedOnceAndLowerTrustOnce(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSync(domain.SyncSummary{Mirrored: 2, PluginCount: 2, ValidSignatures: 2}, t0); err != nil {
		t.Fatal(err)
	}
	startScore := s.State().Trust.Score
	refusals := []domain.ListingRefusal{
		{Plugin: "../x", Version: "1.0.0", Reason: `plugin slug "../x": '/' is not a letter`},
		{Plugin: "big", Version: "1.0.0", Reason: `"short_description" is 900000 characters, the cap is 500`},
		{Plugin: "big", Version: "1.0.0", Reason: `"short_description" is 900000 characters, the cap is 500`}, // listed twice
	}
	tests := []struct {
		name               string
		refusals           []domain.ListingRefusal
		wantNew, wantTrust int
	}{
		{"first sync", refusals, 2, 1},
		{"the same listing again", refusals, 0, 0},
		{"another version of a refused entry", []domain.ListingRefusal{{Plugin: "../x", Version: "2.0.0", Reason: refusals[0].Reason}}, 1, 1},
		{"an entry without a reason is nothing", []domain.ListingRefusal{{Plugin: "y"}}, 0, 0},
	}
	for i, tt := range tests {
		before := len(s.Changes())
		n, err := s.RecordListingRefusals(tt.refusals, t0.Add(time.Duration(i+1)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		refused, trust := refusalsIn(s.Changes()[before:])
		if n != tt.wantNew || refused != tt.wantNew || trust != tt.wantTrust {
			t.Fatalf("%s: recorded %d (%d events), %d trust changes; want %d and %d", tt.name, n, refused, trust, tt.wantNew, tt.wantTrust)
		}
	}
	st := s.State()
	if st.TrustInputs.RefusedEntries != 3 || st.Trust.Signatures != 0.4 || st.Trust.Score >= startScore {
		t.Fatalf("inputs %+v, trust %+v (was %v)", st.TrustInputs, st.Trust, startScore)
	}
	if want := `listing entry "../x" version "2.0.0" refused: ` + refusals[0].Reason; st.LastRefusal != want || !st.LastRefusalAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("last refusal %q at %v, want %q", st.LastRefusal, st.LastRefusalAt, want)
	}
	r := replay(t, s).State()
	if r.TrustInputs != st.TrustInputs || !reflect.DeepEqual(r.RefusedListings, st.RefusedListings) {
		t.Fatalf("replay: %+v %v, want %+v %v", r.TrustInputs, r.RefusedListings, st.TrustInputs, st.RefusedListings)
	}
	// A source resumed from a snapshot of its state still knows them.
	resumed, err := domain.ResumeSource(st, int64(len(s.Changes())), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := resumed.RecordListingRefusals(refusals, t0.Add(time.Hour)); n != 0 {
		t.Fatalf("a resumed source recorded %d known refusals again", n)
	}
}

func TestListingRefusalsAreBounded(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	var many []domain.ListingRefusal
	for i := range domain.MaxRefusalsPerSync + 50 {
		many = append(many, domain.ListingRefusal{Plugin: fmt.Sprintf("../p%d", i), Version: "1", Reason: "bad slug"})
	}
	many[0] = domain.ListingRefusal{Plugin: strings.Repeat("s", 1<<20), Version: strings.Repeat("1", 1<<20), Reason: strings.Repeat("r", 1<<20)}
	before := len(s.Changes())
	if n, _ := s.RecordListingRefusals(many, t0.Add(time.Minute)); n != domain.MaxRefusalsPerSync {
		t.Fatalf("recorded %d in one sync, want the cap %d", n, domain.MaxRefusalsPerSync)
	}
	first := s.Changes()[before].(domain.SourceListingRefused)
	if len(first.Plugin) > domain.MaxRefusedPluginBytes+len("…") || len(first.Version) > domain.MaxRefusedVersionBytes+len("…") ||
		len(first.Reason) > domain.MaxRefusalReasonBytes+len("…") {
		t.Fatalf("a refusal of %d/%d/%d bytes was recorded", len(first.Plugin), len(first.Version), len(first.Reason))
	}
	// The next sync records the rest.
	if n, _ := s.RecordListingRefusals(many, t0.Add(2*time.Minute)); n != 50 {
		t.Fatalf("the next sync recorded %d, want the 50 left", n)
	}
	s.Suspend("admin", t0.Add(3*time.Minute))
	if _, err := s.RecordListingRefusals([]domain.ListingRefusal{{Plugin: "z", Reason: "r"}}, t0.Add(4*time.Minute)); err == nil {
		t.Fatal("a suspended source recorded a refusal")
	}
}
