package postgres_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// allKinds claims every kind of job.
var allKinds = []app.JobKind{app.JobHealth, app.JobSync, app.JobReverify, app.JobRecheck}

func TestJobsArePlannedClaimedOnceAndReclaimedAfterTheLease(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	// The sources read model as the projection would leave it.
	pgtest.Exec(t, pool, `INSERT INTO sources (id, instance_url, username, public_key, status, created_at, subscriber_count, updated_at) VALUES
		('a@h', 'http://h', 'a', 'k', 'verified', 0, 1, now()),
		('b@h', 'http://h', 'b', 'k', 'error', 0, 0, now()),
		('c@h', 'http://h', 'c', 'k', 'pending', 0, 3, now())`)
	q := postgres.Jobs{Pool: pool}
	first := map[app.JobKind]time.Duration{app.JobHealth: 0, app.JobSync: 0, app.JobReverify: time.Hour, app.JobRecheck: time.Hour}
	if err := q.Plan(ctx, first); err != nil {
		t.Fatal(err)
	}
	var planned []string
	rows, _ := pool.Query(ctx, `SELECT kind || ' ' || source_id FROM jobs ORDER BY 1`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		planned = append(planned, s)
	}
	want := []string{"health a@h", "health b@h", "recheck a@h", "reverify a@h", "reverify b@h", "sync a@h"}
	if len(planned) != len(want) {
		t.Fatalf("planned %v, want %v", planned, want)
	}
	for i := range want {
		if planned[i] != want[i] {
			t.Fatalf("planned %v, want %v", planned, want)
		}
	}

	// Two claimants at once: every due job goes to exactly one of them.
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for _, owner := range []string{"node-1", "node-2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				jobs, err := q.Claim(ctx, owner, 2*time.Second, 2, allKinds)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, j := range jobs {
					key := string(j.Kind) + " " + string(j.Source)
					if prev, dup := got[key]; dup {
						t.Errorf("%s claimed by %s and %s", key, prev, owner)
					}
					got[key] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != 3 { // health a, health b, sync a; reverify is not due
		t.Fatalf("claimed %v, want the three due jobs", got)
	}

	syncJob := app.Job{Kind: app.JobSync, Source: "a@h"}
	holder := got["sync a@h"]
	other := map[string]string{"node-1": "node-2", "node-2": "node-1"}[holder]
	if err := q.Extend(ctx, syncJob, other, time.Second); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("extend by a non-holder: %v", err)
	}
	if jobs, _ := q.Claim(ctx, other, time.Second, 10, allKinds); len(jobs) != 0 {
		t.Fatalf("claimed leased jobs: %v", jobs)
	}
	// The holder dies: nothing renews the lease, and after it the job is
	// free for the other node.
	pgtest.Exec(t, pool, `UPDATE jobs SET lease_until = now() - interval '1 millisecond' WHERE kind = 'sync'`)
	jobs, err := q.Claim(ctx, other, time.Second, 10, allKinds)
	if err != nil || len(jobs) != 1 || jobs[0].Kind != app.JobSync {
		t.Fatalf("after the lease: %v %v", jobs, err)
	}
	if err := q.Finish(ctx, syncJob, holder, time.Minute, 0, ""); err != nil {
		t.Fatal(err)
	}
	var leasedBy *string
	_ = pool.QueryRow(ctx, `SELECT leased_by FROM jobs WHERE kind = 'sync'`).Scan(&leasedBy)
	if leasedBy == nil || *leasedBy != other {
		t.Fatalf("the old holder's Finish changed the new holder's job: %v", leasedBy)
	}
	if err := q.Finish(ctx, syncJob, other, time.Minute, 2, "author-data: 503"); err != nil {
		t.Fatal(err)
	}
	var attempts int
	var lastError string
	var due time.Duration
	_ = pool.QueryRow(ctx, `SELECT attempts, last_error, extract(epoch FROM due_at - now())::float8 * 1e9 FROM jobs WHERE kind = 'sync'`).Scan(&attempts, &lastError, &due)
	if attempts != 2 || lastError != "author-data: 503" || due < 50*time.Second {
		t.Fatalf("finished job: attempts %d, error %q, due in %s", attempts, lastError, due)
	}

	// A source that loses its subscribers loses its sync job.
	pgtest.Exec(t, pool, `UPDATE sources SET subscriber_count = 0 WHERE id = 'a@h'`)
	if err := q.Plan(ctx, first); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE kind = 'sync'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sync jobs left for a source without subscribers", n)
	}
}
