package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/pfn-network/pfn/domain"
)

// ErrBusy says that a sync or recheck could not start within its wait:
// every sync slot was taken, or another sync of the source was running.
// Nothing was done; trying again later is safe.
var ErrBusy = fmt.Errorf("busy: %w", domain.ErrConflict)

// SyncSlots bounds the syncs and rechecks running in this process at once,
// whoever started them (API or scheduler). A running sync may hold two
// database connections (its lock's and one for its work), so the pool must
// hold twice the slots besides the rest of the node's: see cmd/pfn's
// PFN_DB_MAX_CONNS check.
type SyncSlots struct {
	sem *semaphore.Weighted
	n   int
}

// NewSyncSlots makes n slots (at least one).
func NewSyncSlots(n int) *SyncSlots {
	n = max(n, 1)
	return &SyncSlots{sem: semaphore.NewWeighted(int64(n)), n: n}
}

// SourceLocks is the cross-process lock of one source's syncs.
type SourceLocks interface {
	// TryLock takes the lock if it is free and never waits for it; ok is
	// false when another holds it.
	TryLock(ctx context.Context, source domain.SourceID) (unlock func(), ok bool, err error)
}

// SyncGate admits syncs and rechecks: a slot first, then the source's lock,
// and nothing is held while waiting. A slot is taken before any database
// connection, so the running syncs never hold more connections than the
// pool was sized for; a lock is only ever tried, and the slot (and with it
// the connection the try used) is given back between tries, so a sync
// waiting for another of the same source holds nothing the other needs.
// It is the SyncLocker of SyncSource.
type SyncGate struct {
	Slots *SyncSlots
	Locks SourceLocks
	// Wait is how long to wait for a slot and the lock before answering
	// ErrBusy; 0 waits as long as ctx allows.
	Wait time.Duration
}

// Within is the same gate with another wait.
func (g SyncGate) Within(wait time.Duration) SyncGate {
	g.Wait = wait
	return g
}

const (
	firstRetry = 20 * time.Millisecond
	maxRetry   = time.Second
)

func (g SyncGate) Lock(ctx context.Context, source domain.SourceID) (func(), error) {
	wait := ctx
	if g.Wait > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, g.Wait)
		defer cancel()
	}
	// Busy only when the gate's own wait ran out and the caller still has
	// time: a caller whose context ended (its job deadline, a client gone)
	// gets that error, so a job cut by PFN_JOB_TIMEOUT at the gate is a
	// failure, not a postponement.
	busy := func(why string) error {
		if ctx.Err() != nil {
			return fmt.Errorf("sync of %s waiting to start: %w", source, ctx.Err())
		}
		return fmt.Errorf("sync of %s could not start: %s: %w", source, why, ErrBusy)
	}
	retry := firstRetry
	for {
		if err := g.Slots.sem.Acquire(wait, 1); err != nil {
			return nil, busy(fmt.Sprintf("all %d sync slots are in use", g.Slots.n))
		}
		unlock, ok, err := g.Locks.TryLock(wait, source)
		if err == nil && ok {
			return func() {
				unlock()
				g.Slots.sem.Release(1)
			}, nil
		}
		g.Slots.sem.Release(1)
		if err != nil {
			// The try cut short by the gate's wait running out is the
			// wait's end; any other error (the database's) stays one.
			if ctx.Err() == nil && wait.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				return nil, busy("another sync of the source is running")
			}
			return nil, err
		}
		// Jitter keeps two waiters from trying in step.
		pause := retry/2 + rand.N(retry/2+1)
		retry = min(2*retry, maxRetry)
		select {
		case <-wait.Done():
			return nil, busy("another sync of the source is running")
		case <-time.After(pause):
		}
	}
}
