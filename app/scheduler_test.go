package app_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// finished is one run a JobQueue was told of.
type finished struct {
	job       app.Job
	next      time.Duration
	attempts  int
	lastError string
}

// scriptedJobs hands out its jobs on the first claims of their kinds and
// ends the run (cancel) once every one of them is finished or released.
type scriptedJobs struct {
	mu       sync.Mutex
	pending  []app.Job
	planned  int
	finished []finished
	released []app.Job
	cancel   func()
	want     int
	// failClaims is how many claims fail (a connection lost) before
	// claims answer again; strays records each ReleaseAllBut call.
	failClaims int
	strays     [][]app.Job
}

func (q *scriptedJobs) Plan(context.Context, map[app.JobKind]time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.planned++
	return nil
}

func (q *scriptedJobs) Claim(_ context.Context, _ string, _ time.Duration, limit int, kinds []app.JobKind) ([]app.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failClaims > 0 {
		q.failClaims--
		return nil, errors.New("claim jobs: unexpected EOF")
	}
	var out, rest []app.Job
	for _, j := range q.pending {
		if len(out) < limit && slices.Contains(kinds, j.Kind) {
			out = append(out, j)
		} else {
			rest = append(rest, j)
		}
	}
	q.pending = rest
	return out, nil
}

func (q *scriptedJobs) Extend(context.Context, app.Job, string, time.Duration) error { return nil }

func (q *scriptedJobs) Finish(_ context.Context, j app.Job, _ string, next time.Duration, attempts int, lastError string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.finished = append(q.finished, finished{j, next, attempts, lastError})
	q.done()
	return nil
}

func (q *scriptedJobs) Release(_ context.Context, j app.Job, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.released = append(q.released, j)
	q.done()
	return nil
}

func (q *scriptedJobs) done() {
	if len(q.finished)+len(q.released) == q.want {
		q.cancel()
	}
}

// The scheduler runs each claimed job through its use case and records the
// outcome with when it is next due: a success resets the attempts, a
// failure counts one and keeps its reason.
func TestSchedulerRunsClaimedJobs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sources, health := &app.MemorySources{}, &app.MemoryHealth{}
	upPub, upKey := honest(t)
	up := addedSource(t, sources, upPub, upKey)
	downPub, downKey := honest(t)
	otherSources := &app.MemorySources{} // both sources have the same id: one repository each
	down := addedSource(t, otherSources, downPub, downKey)
	downPub.infoErr = errors.New("connection refused")

	jobs := &scriptedJobs{cancel: cancel, want: 2, pending: []app.Job{
		{Kind: app.JobHealth, Source: up, Attempts: 2},
		{Kind: app.JobReverify, Source: down, Attempts: 1},
	}}
	schedule := app.Schedule{HealthInterval: time.Minute, ReverifyInterval: time.Hour, SyncInterval: 2 * time.Hour}
	s := app.Scheduler{
		Jobs:     jobs,
		Health:   app.CheckHealth{Sources: sources, Health: health, Publisher: upPub, Metrics: app.NoMetrics{}, Now: now},
		Verify:   app.VerifySource{Sources: otherSources, Publisher: downPub, Random: rand.Reader, Now: now},
		Schedule: schedule, Owner: "test", Lease: time.Hour, Tick: time.Millisecond, PlanEach: time.Hour,
		Workers: 2, SyncWorkers: 1, Log: slog.New(slog.DiscardHandler),
	}
	s.Run(ctx) // returns once both jobs are recorded

	if jobs.planned == 0 || len(jobs.released) != 0 || len(jobs.finished) != 2 {
		t.Fatalf("planned %d times, released %v, finished %+v", jobs.planned, jobs.released, jobs.finished)
	}
	for _, f := range jobs.finished {
		switch f.job.Kind {
		case app.JobHealth:
			if f.next != schedule.HealthInterval || f.attempts != 0 || f.lastError != "" {
				t.Fatalf("health job recorded as %+v", f)
			}
			if len(health.Checks(up)) != 1 {
				t.Fatalf("health checks %+v", health.Checks(up))
			}
		case app.JobReverify:
			if f.next != schedule.ReverifyInterval || f.attempts != 2 || f.lastError == "" {
				t.Fatalf("reverify job recorded as %+v", f)
			}
			if st := mustLoad(t, otherSources, down).State(); st.Status != domain.StatusVerified {
				t.Fatalf("a publisher that is down lost its verification: %s", st.Status)
			}
		}
	}
}

func (q *scriptedJobs) ReleaseAllBut(_ context.Context, _ string, running []app.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.strays = append(q.strays, running)
	return nil
}

// A claim that failed may have leased jobs in the database whose answer
// never arrived: the scheduler frees its stray leases at start and after
// each failed claim, before it claims again.
func TestSchedulerFreesStrayLeasesAfterAFailedClaim(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sources, health := &app.MemorySources{}, &app.MemoryHealth{}
	pub, key := honest(t)
	id := addedSource(t, sources, pub, key)
	jobs := &scriptedJobs{cancel: cancel, want: 1, failClaims: 2,
		pending: []app.Job{{Kind: app.JobHealth, Source: id}}}
	s := app.Scheduler{
		Jobs:     jobs,
		Health:   app.CheckHealth{Sources: sources, Health: health, Publisher: pub, Metrics: app.NoMetrics{}, Now: now},
		Schedule: app.Schedule{HealthInterval: time.Minute}, Owner: "test", Lease: time.Hour,
		Tick: time.Millisecond, PlanEach: time.Hour, Workers: 1, SyncWorkers: 1, Log: slog.New(slog.DiscardHandler),
	}
	s.Run(ctx)

	jobs.mu.Lock()
	defer jobs.mu.Unlock()
	if len(jobs.finished) != 1 {
		t.Fatalf("finished %+v, want the health job once claims answer again", jobs.finished)
	}
	// At start, and once after the failed claims (the first lane's failure
	// and the second's are one tick).
	if len(jobs.strays) < 2 {
		t.Fatalf("stray leases freed %d times, want at start and after the failed claims", len(jobs.strays))
	}
	for _, running := range jobs.strays {
		if len(running) != 0 {
			t.Fatalf("freed all but %v; nothing was running", running)
		}
	}
}
