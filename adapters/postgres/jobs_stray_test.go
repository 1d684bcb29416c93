package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A lease whose claim answer was lost is freed by its owner; the jobs it
// runs and other owners' leases are left alone.
func TestReleaseAllButFreesOnlyTheOwnersStrayLeases(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `INSERT INTO jobs (kind, source_id, due_at, leased_by, lease_until) VALUES
		('health', 'a@h', now(), 'me', now() + interval '1 hour'),
		('sync',   'a@h', now(), 'me', now() + interval '1 hour'),
		('health', 'b@h', now(), 'me', now() + interval '1 hour'),
		('health', 'c@h', now(), 'other', now() + interval '1 hour')`)
	q := postgres.Jobs{Pool: pool}
	if err := q.ReleaseAllBut(ctx, "me", []app.Job{{Kind: app.JobSync, Source: "a@h", Attempts: 2}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := q.Claim(ctx, "next", time.Minute, 10, allKinds)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, string(j.Kind)+" "+string(j.Source))
	}
	slices.Sort(got)
	if want := []string{"health a@h", "health b@h"}; !slices.Equal(got, want) {
		t.Fatalf("claimable after freeing stray leases: %v, want %v", got, want)
	}
	// With nothing running, every lease of the owner is freed.
	if err := q.ReleaseAllBut(ctx, "next", nil); err != nil {
		t.Fatal(err)
	}
	if jobs, err := q.Claim(ctx, "third", time.Minute, 10, allKinds); err != nil || len(jobs) != 2 {
		t.Fatalf("after freeing all of an owner's leases, claimed %v (%v), want 2", jobs, err)
	}
}
