package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Scheduler runs health checks, syncs and re-verifications when they are
// due, claiming each job through the shared JobQueue so that several nodes
// on one database never run the same job at once.
type Scheduler struct {
	Jobs     JobQueue
	Health   CheckHealth
	Sync     SyncSource
	Verify   VerifySource
	Schedule Schedule
	Owner    string        // this process, as it appears in leases
	Lease    time.Duration // how long a claim holds without renewal
	Tick     time.Duration // how often to look for due jobs
	PlanEach time.Duration // how often to add and drop jobs as sources change
	Workers  int           // health checks and re-verifications at once
	// SyncWorkers is how many syncs and rechecks run at once: a lane of its
	// own, so that slow publishers' downloads never keep health checks of
	// the other sources waiting (PFN_MAX_CONCURRENT_SYNCS).
	SyncWorkers int
	// Timeout (PFN_JOB_TIMEOUT) is each job's deadline: a job still
	// running then is cancelled and counts as failed.
	Timeout time.Duration
	Log     *slog.Logger
}

// busyRetry is how soon a sync or recheck that could not start (ErrBusy:
// no free slot, or its source's other job running) is tried again. That is
// not a failure: it neither counts an attempt nor waits for the retry
// backoff.
const busyRetry = 5 * time.Second

// The two lanes: light jobs (a request or two to the publisher) and the
// syncs and rechecks, which download and may take minutes.
var (
	lightKinds = []JobKind{JobHealth, JobReverify}
	syncKinds  = []JobKind{JobSync, JobRecheck}
)

// Run works until ctx ends, then waits for the jobs in flight to stop and
// frees their leases.
func (s Scheduler) Run(ctx context.Context) {
	lanes := []*lane{{kinds: lightKinds, slots: make(chan struct{}, max(s.Workers, 1))},
		{kinds: syncKinds, slots: make(chan struct{}, max(s.SyncWorkers, 1))}}
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(s.Tick)
	defer tick.Stop()
	var planned time.Time
	// unsure is set while this process may hold leases it does not run: at
	// start (a crashed process of the same owner) and after a failed claim.
	unsure := true
	for {
		if unsure && ctx.Err() == nil {
			unsure = s.freeStrayLeases(ctx, lanes)
		}
		if time.Since(planned) >= s.PlanEach {
			if err := s.Jobs.Plan(ctx, s.Schedule.first()); err != nil && ctx.Err() == nil {
				s.Log.Error("scheduler: planning jobs failed", "err", err)
			}
			planned = time.Now()
		}
		for _, l := range lanes {
			if ctx.Err() != nil {
				break
			}
			if !s.fill(ctx, l, &wg) {
				unsure = true
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// lane runs jobs of some kinds, at most cap(slots) at once.
type lane struct {
	kinds   []JobKind
	slots   chan struct{}
	mu      sync.Mutex
	running map[Job]struct{}
}

// fill claims as many due jobs of the lane's kinds as it has free slots
// and starts them. It returns false when the claim failed: the database
// may have leased jobs whose answer never arrived.
func (s Scheduler) fill(ctx context.Context, l *lane, wg *sync.WaitGroup) bool {
	free := cap(l.slots) - len(l.slots)
	if free <= 0 {
		return true
	}
	jobs, err := s.Jobs.Claim(ctx, s.Owner, s.Lease, free, l.kinds)
	if err != nil && ctx.Err() == nil {
		s.Log.Error("scheduler: claiming jobs failed", "err", err)
	}
	for _, j := range jobs {
		l.slots <- struct{}{}
		l.track(j, true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-l.slots }()
			defer l.track(j, false)
			s.runJob(ctx, j)
		}()
	}
	return err == nil
}

func (l *lane) track(j Job, running bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == nil {
		l.running = map[Job]struct{}{}
	}
	if running {
		l.running[j] = struct{}{}
	} else {
		delete(l.running, j)
	}
}

// freeStrayLeases frees the leases this process holds but does not run;
// it returns whether it is still unsure (the database did not answer).
func (s Scheduler) freeStrayLeases(ctx context.Context, lanes []*lane) bool {
	var running []Job
	for _, l := range lanes {
		l.mu.Lock()
		for j := range l.running {
			running = append(running, j)
		}
		l.mu.Unlock()
	}
	if err := s.Jobs.ReleaseAllBut(ctx, s.Owner, running); err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("scheduler: could not free stray leases; trying again", "err", err)
		}
		return true
	}
	return false
}

// runJob runs one claimed job, renewing its lease while it runs. A job
// whose lease was lost (this process stalled past it and another took the
// job) is cancelled.
func (s Scheduler) runJob(ctx context.Context, j Job) {
	jobCtx, cancel := withDeadline(ctx, s.Timeout)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jobCtx.Done():
				return
			case <-t.C:
				if err := s.Jobs.Extend(jobCtx, j, s.Owner, s.Lease); err != nil && jobCtx.Err() == nil {
					s.Log.Warn("scheduler: lost the lease; stopping the job", "kind", j.Kind, "source", j.Source, "err", err)
					cancel()
					return
				}
			}
		}
	}()
	start := time.Now()
	err := s.do(jobCtx, j)
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(jobCtx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%s job of %s did not finish within %s (PFN_JOB_TIMEOUT): %w", j.Kind, j.Source, s.Timeout, err)
	}
	cancel()
	<-renewed
	// The bookkeeping outlives a shutdown's cancellation, briefly.
	done, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		if rerr := s.Jobs.Release(done, j, s.Owner); rerr != nil {
			s.Log.Warn("scheduler: could not free a job", "kind", j.Kind, "source", j.Source, "err", rerr)
		}
		return
	}
	next, attempts := s.Schedule.next(j.Kind, err != nil, j.Attempts)
	lastError := ""
	if errors.Is(err, ErrBusy) {
		next, attempts, lastError = min(next, busyRetry), j.Attempts, err.Error()
		s.Log.Debug("scheduled job postponed", "kind", j.Kind, "source", j.Source, "next_in", next.String(), "err", err)
	} else if err != nil {
		lastError = err.Error()
		s.Log.Warn("scheduled job failed", "kind", j.Kind, "source", j.Source, "attempts", attempts, "next_in", next.String(), "err", err)
	} else {
		s.Log.Debug("scheduled job done", "kind", j.Kind, "source", j.Source, "took", time.Since(start).String())
	}
	if ferr := s.Jobs.Finish(done, j, s.Owner, next, attempts, lastError); ferr != nil {
		s.Log.Error("scheduler: could not record a job's run", "kind", j.Kind, "source", j.Source, "err", ferr)
	}
}

func (s Scheduler) do(ctx context.Context, j Job) error {
	switch j.Kind {
	case JobHealth:
		return s.Health.Run(ctx, j.Source)
	case JobSync:
		_, err := s.Sync.Run(ctx, j.Source)
		return err
	case JobReverify:
		return s.Verify.Reverify(ctx, j.Source)
	case JobRecheck:
		_, err := s.Sync.Recheck(ctx, j.Source)
		return err
	}
	return errors.New("unknown job kind " + string(j.Kind))
}

// withDeadline is ctx cancellable, and ended after timeout when it is set.
func withDeadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout > 0 {
		return context.WithTimeout(ctx, timeout)
	}
	return context.WithCancel(ctx)
}
