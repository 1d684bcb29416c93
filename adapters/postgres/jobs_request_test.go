package postgres_test

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A job asked for out of turn is claimed first; asked for while it runs,
// it is due again at once after that run instead of an interval later.
func TestRequestNowSurvivesTheRunningJobsFinish(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `INSERT INTO sources (id, instance_url, username, public_key, status, created_at, subscriber_count, updated_at) VALUES
		('a@h', 'http://h', 'a', 'k', 'verified', 0, 1, now())`,
		`INSERT INTO jobs (kind, source_id, due_at) VALUES ('health', 'a@h', now() - interval '1 hour')`)
	q := postgres.Jobs{Pool: pool}
	// Not planned yet: the request creates the job, and it goes first.
	if err := q.RequestNow(ctx, app.JobSync, "a@h"); err != nil {
		t.Fatal(err)
	}
	jobs, err := q.Claim(ctx, "n", time.Minute, 1, allKinds)
	if err != nil || len(jobs) != 1 || jobs[0].Kind != app.JobSync {
		t.Fatalf("claim = %v, %v; want the requested sync first", jobs, err)
	}
	// Asked for again while it runs.
	if err := q.RequestNow(ctx, app.JobSync, "a@h"); err != nil {
		t.Fatal(err)
	}
	if err := q.Finish(ctx, jobs[0], "n", time.Hour, 0, ""); err != nil {
		t.Fatal(err)
	}
	again, err := q.Claim(ctx, "n", time.Minute, 2, allKinds)
	if err != nil || len(again) != 2 {
		t.Fatalf("claim after the run = %v, %v; want the sync (requested during the run) and the health check", again, err)
	}
	// Without a request, a run schedules the next one an interval later.
	for _, j := range again {
		if err := q.Finish(ctx, j, "n", time.Hour, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if jobs, err := q.Claim(ctx, "n", time.Minute, 5, allKinds); err != nil || len(jobs) != 0 {
		t.Fatalf("claim = %v, %v; want nothing due", jobs, err)
	}
}
