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
		// Dedupe is on (plugin, kind of refusal): a new version is the same entry.
		{"another version of a refused entry", []domain.ListingRefusal{{Plugin: "../x", Version: "2.0.0", Reason: refusals[0].Reason}}, 0, 0},
		{"another length over the same cap", []domain.ListingRefusal{{Plugin: "big", Version: "1.0.1",
			Reason: `"short_description" is 900001 characters, the cap is 500`}}, 0, 0},
		{"an entry without a reason is nothing", []domain.ListingRefusal{{Plugin: "y"}}, 0, 0},
	}
	for i, tt := range tests {
		before := len(s.Changes())
		n, err := s.RecordListingRefusals(tt.refusals, t0.Add(time.Duration(i+1)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		refused, trust := refusalsIn(s.Changes()[before:])
		if n.Recorded != tt.wantNew || n.NotRecorded != 0 || refused != tt.wantNew || trust != tt.wantTrust {
			t.Fatalf("%s: recorded %d (%d events), %d trust changes; want %d and %d", tt.name, n, refused, trust, tt.wantNew, tt.wantTrust)
		}
	}
	st := s.State()
	if st.TrustInputs.RefusedEntries != 2 || st.Trust.Signatures != 0.5 || st.Trust.Score >= startScore {
		t.Fatalf("inputs %+v, trust %+v (was %v)", st.TrustInputs, st.Trust, startScore)
	}
	if want := `listing entry "big" version "1.0.0" refused: ` + refusals[1].Reason; st.LastRefusal != want || !st.LastRefusalAt.Equal(t0.Add(time.Minute)) {
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
	if n, _ := resumed.RecordListingRefusals(refusals, t0.Add(time.Hour)); n.Recorded != 0 {
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
	if n, _ := s.RecordListingRefusals(many, t0.Add(time.Minute)); n.Recorded != domain.MaxRefusalsPerSync {
		t.Fatalf("recorded %d in one sync, want the cap %d", n, domain.MaxRefusalsPerSync)
	}
	first := s.Changes()[before].(domain.SourceListingRefused)
	if len(first.Plugin) > domain.MaxRefusedPluginBytes+len("…") || len(first.Version) > domain.MaxRefusedVersionBytes+len("…") ||
		len(first.Reason) > domain.MaxRefusalReasonBytes+len("…") {
		t.Fatalf("a refusal of %d/%d/%d bytes was recorded", len(first.Plugin), len(first.Version), len(first.Reason))
	}
	// The next sync records the rest.
	if n, _ := s.RecordListingRefusals(many, t0.Add(2*time.Minute)); n.Recorded != 50 {
		t.Fatalf("the next sync recorded %d, want the 50 left", n)
	}
	if err := s.Suspend("admin", false, "admin", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordListingRefusals([]domain.ListingRefusal{{Plugin: "z", Reason: "r"}}, t0.Add(4*time.Minute)); err == nil {
		t.Fatal("a suspended source recorded a refusal")
	}
}

// A hostile publisher lists 200 bad entries and gives them a new version
// every sync (or, worse, new slugs): fifty syncs add a bounded number of
// events and trust changes, and the state a snapshot keeps stays bounded.
// (Deduplicated on the version, 50 syncs of 200 entries made 5,034 events,
// 5,000 remembered keys, 50 trust changes and a trust of 0.50.)
func TestHostileListingRefusalsStayBounded(t *testing.T) {
	listing := func(sync int, slug func(i int) string) []domain.ListingRefusal {
		var out []domain.ListingRefusal
		for i := range 200 {
			version := fmt.Sprintf("%d.0.%d", sync, i)
			reason := fmt.Sprintf("plugin slug %q: '/' is not a letter, digit, '.', '_' or '-'", slug(i))
			if i%2 == 1 { // a version that does not parse, quoted in the reason
				version = fmt.Sprintf("x%d", sync)
				_, err := domain.ParseVersion(version)
				reason = err.Error()
			}
			out = append(out, domain.ListingRefusal{Plugin: slug(i), Version: version, Reason: reason})
		}
		return out
	}
	tests := []struct {
		name                string
		slug                func(sync, i int) string
		maxEvents, maxTrust int
		wantNotRecorded     bool
	}{
		{"the same entries, a new version each sync", func(_, i int) string { return fmt.Sprintf("../x%d", i) }, 200, 2, false},
		{"new slugs each sync", func(sync, i int) string { return fmt.Sprintf("../s%d-%d", sync, i) },
			domain.MaxRefusalsRemembered, domain.MaxRefusalsRemembered / domain.MaxRefusalsPerSync, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSource(t)
			if err := s.RecordOwnershipProof(true, "", t0); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordSync(domain.SyncSummary{Mirrored: 2, PluginCount: 2, ValidSignatures: 2}, t0); err != nil {
				t.Fatal(err)
			}
			before := len(s.Changes())
			notRecorded := 0
			for sync := range 50 {
				at := t0.Add(time.Duration(sync+1) * time.Minute)
				got, err := s.RecordListingRefusals(listing(sync, func(i int) string { return tt.slug(sync, i) }), at)
				if err != nil {
					t.Fatal(err)
				}
				notRecorded += got.NotRecorded
				if err := s.RecordSync(domain.SyncSummary{Rejected: 200, PluginCount: 2, RefusalsNotRecorded: got.NotRecorded}, at); err != nil {
					t.Fatal(err)
				}
			}
			refused, trust := refusalsIn(s.Changes()[before:])
			st := s.State()
			if refused > tt.maxEvents || trust > tt.maxTrust || len(st.RefusedListings) > domain.MaxRefusalsRemembered ||
				st.TrustInputs.RefusedEntries != refused {
				t.Fatalf("50 syncs: %d refusal events (at most %d), %d trust changes (at most %d), %d keys remembered, %d refused entries",
					refused, tt.maxEvents, trust, tt.maxTrust, len(st.RefusedListings), st.TrustInputs.RefusedEntries)
			}
			if (notRecorded > 0) != tt.wantNotRecorded || st.RefusalsNotRecorded != int64(notRecorded) {
				t.Fatalf("%d refusals not recorded, the state counts %d", notRecorded, st.RefusalsNotRecorded)
			}
			for k := range st.RefusedListings {
				if len(k) != 32 {
					t.Fatalf("a remembered key of %d bytes: %q", len(k), k)
				}
			}
			r := replay(t, s).State()
			if !reflect.DeepEqual(r.RefusedListings, st.RefusedListings) || r.RefusalsNotRecorded != st.RefusalsNotRecorded || r.Trust != st.Trust {
				t.Fatalf("replay differs: %d keys, %d not recorded, trust %+v", len(r.RefusedListings), r.RefusalsNotRecorded, r.Trust)
			}
		})
	}
}

func TestRefusalKind(t *testing.T) {
	t.Parallel()
	verr := func(v string) string { _, err := domain.ParseVersion(v); return err.Error() }
	same := [][2]string{
		{verr("x1"), verr("y22")},
		{verr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"),
			verr("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0")},
		{`"short_description" is 900000 characters, the cap is 500`, `"short_description" is 7 characters, the cap is 500`},
		{`plugin slug "../x": '/' is not a letter`, `plugin slug "..\"/y": '\\' is not a letter`},
		{`entry is not a valid object: invalid character 'x' looking for beginning of value`, `entry is not a valid object: invalid character '}' looking for beginning of value`},
		{`unclosed "quote to the end`, `unclosed "anything else`},
	}
	for _, p := range same {
		if a, b := domain.RefusalKind(p[0]), domain.RefusalKind(p[1]); a != b {
			t.Errorf("kinds differ:\n%q -> %q\n%q -> %q", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{
		{verr("x1"), `plugin slug "x1": '/' is not a letter`},
		{`missing "signature"`, `entry is an array, want an object`},
		// An apostrophe is text, not a quote: what follows it still counts.
		{`the source's quota is spent`, `the source's file budget is spent`},
	}
	for _, p := range differ {
		if domain.RefusalKind(p[0]) == domain.RefusalKind(p[1]) {
			t.Errorf("%q and %q are one kind (%q)", p[0], p[1], domain.RefusalKind(p[0]))
		}
	}
}
