package domain_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// The feed's cursor rides on the syncs' events: a sync with a mark moves
// it, one without keeps it, an unchanged one does not count as a listing,
// and a replay (a restart, a rebuild) gives the same.
func TestFeedPositionFollowsTheSyncs(t *testing.T) {
	s := newSource(t)
	if err := s.RecordOwnershipProof(true, "", t0); err != nil {
		t.Fatal(err)
	}
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	steps := []struct {
		sum  domain.SyncSummary
		at   time.Time
		want domain.FeedPosition
	}{
		{domain.SyncSummary{Feed: &domain.FeedMark{Cursor: 5, Filters: "f"}}, t1, domain.FeedPosition{Cursor: 5, Filters: "f", ListedAt: t1}},
		{domain.SyncSummary{Feed: &domain.FeedMark{Cursor: 5, Filters: "f", Unchanged: true}}, t2, domain.FeedPosition{Cursor: 5, Filters: "f", ListedAt: t1}},
		{domain.SyncSummary{}, t3, domain.FeedPosition{Cursor: 5, Filters: "f", ListedAt: t3}},
	}
	for i, step := range steps {
		if err := s.RecordSync(step.sum, step.at); err != nil {
			t.Fatal(err)
		}
		if got := s.State().Feed; got != step.want {
			t.Fatalf("after sync %d: %+v, want %+v", i, got, step.want)
		}
	}
	if got := replay(t, s).State().Feed; got != steps[2].want {
		t.Fatalf("replay: %+v", got)
	}
}
