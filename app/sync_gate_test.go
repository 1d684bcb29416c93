package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// memLocks is SourceLocks in memory: the gate's logic without a database.
type memLocks struct {
	mu    sync.Mutex
	held  map[domain.SourceID]bool
	tries atomic.Int64
}

func (m *memLocks) TryLock(_ context.Context, id domain.SourceID) (func(), bool, error) {
	m.tries.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held[id] {
		return nil, false, nil
	}
	m.held[id] = true
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.held, id)
	}, true, nil
}

func TestSyncGateBoundsSyncsAndHoldsNothingWhileWaiting(t *testing.T) {
	locks := &memLocks{held: map[domain.SourceID]bool{}}
	gate := SyncGate{Slots: NewSyncSlots(2), Locks: locks}
	ctx := context.Background()

	t.Run("no more than the slots at once, and as many as the slots", func(t *testing.T) {
		runSixThroughTwoSlots(ctx, t, gate)
	})

	t.Run("a sync waiting for its source's lock leaves its slot to others", func(t *testing.T) {
		unlockA, err := gate.Lock(ctx, "a@h")
		if err != nil {
			t.Fatal(err)
		}
		waiting := make(chan error, 1)
		go func() {
			unlock, err := gate.Within(2*time.Second).Lock(ctx, "a@h")
			if err == nil {
				unlock()
			}
			waiting <- err
		}()
		time.Sleep(50 * time.Millisecond)
		// One slot is a@h's, the waiter holds none between tries: b@h
		// starts at once.
		unlockB, err := gate.Within(100*time.Millisecond).Lock(ctx, "b@h")
		if err != nil {
			t.Fatalf("another source could not start while one waited for a@h: %v", err)
		}
		unlockB()
		unlockA()
		if err := <-waiting; err != nil {
			t.Fatalf("the waiter never got a@h: %v", err)
		}
	})

	t.Run("a wait that runs out is ErrBusy, a caller that gives up its own error", func(t *testing.T) {
		unlock, err := gate.Lock(ctx, "a@h")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if _, err := gate.Within(50*time.Millisecond).Lock(ctx, "a@h"); !errors.Is(err, ErrBusy) || !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("busy source: %v", err)
		}
		gone, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := gate.Lock(gone, "a@h"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrBusy) {
			t.Fatalf("cancelled caller: %v", err)
		}
		// Every slot taken: ErrBusy too.
		unlockB, _ := gate.Lock(ctx, "b@h")
		defer unlockB()
		if _, err := gate.Within(50*time.Millisecond).Lock(ctx, "c@h"); !errors.Is(err, ErrBusy) {
			t.Fatalf("no free slot: %v", err)
		}
	})
}

// runSixThroughTwoSlots runs six syncs of different sources through a gate
// of two slots and checks that two, and never more, ran at once.
func runSixThroughTwoSlots(ctx context.Context, t *testing.T, gate SyncGate) {
	t.Helper()
	var running, most atomic.Int64
	// The first two in wait for each other (a barrier): they can only
	// both get past it if the gate lets two run at once, whatever the
	// machine's load; a gate that let through one at a time would leave
	// the first waiting until the bound below.
	overlapped := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for _, id := range []domain.SourceID{"a@h", "b@h", "c@h", "d@h", "e@h", "f@h"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := gate.Lock(ctx, id)
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if n == 2 {
				once.Do(func() { close(overlapped) })
			}
			select {
			case <-overlapped:
			case <-time.After(10 * time.Second):
				t.Error("no two syncs ever ran at once with 2 slots")
			}
		}()
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Fatalf("%d syncs ran at once with 2 slots", most.Load())
	}
}

// failingLocks is SourceLocks whose try fails the way a database does: it
// answers with an error of its own once ctx has ended, or at once.
type failingLocks struct {
	err   error
	block bool // hold the try until ctx ends, then fail with err
}

func (f failingLocks) TryLock(ctx context.Context, _ domain.SourceID) (func(), bool, error) {
	if f.block {
		<-ctx.Done()
	}
	return nil, false, f.err
}

// Only the gate's own wait running out, with the caller still live, is
// ErrBusy (postponed without a failure counted); a job deadline reached at
// the gate and a database error are failures.
func TestSyncGateBusyOnlyWhenItsOwnWaitRunsOut(t *testing.T) {
	ctx := context.Background()
	held := &memLocks{held: map[domain.SourceID]bool{"a@h": true}}

	t.Run("the job's deadline ends while waiting for the lock", func(t *testing.T) {
		gate := SyncGate{Slots: NewSyncSlots(2), Locks: held, Wait: time.Hour}
		job, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := gate.Lock(job, "a@h")
		if errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("job deadline at the gate: %v, want a deadline error, not ErrBusy", err)
		}
	})

	t.Run("the job's deadline ends while waiting for a slot", func(t *testing.T) {
		gate := SyncGate{Slots: NewSyncSlots(1), Locks: &memLocks{held: map[domain.SourceID]bool{}}, Wait: time.Hour}
		unlock, err := gate.Lock(ctx, "b@h")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		job, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := gate.Lock(job, "c@h"); errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("job deadline waiting for a slot: %v, want a deadline error, not ErrBusy", err)
		}
	})

	t.Run("a database error is an error", func(t *testing.T) {
		dbErr := errors.New("connection refused")
		for _, block := range []bool{false, true} {
			gate := SyncGate{Slots: NewSyncSlots(2), Locks: failingLocks{err: dbErr, block: block}, Wait: 50 * time.Millisecond}
			if _, err := gate.Lock(ctx, "a@h"); !errors.Is(err, dbErr) || errors.Is(err, ErrBusy) {
				t.Fatalf("database error (answered after the wait ran out: %v): %v, want it, not ErrBusy", block, err)
			}
		}
	})

	t.Run("the gate's wait runs out, the caller still live", func(t *testing.T) {
		gate := SyncGate{Slots: NewSyncSlots(2), Locks: held, Wait: 50 * time.Millisecond}
		if _, err := gate.Lock(ctx, "a@h"); !errors.Is(err, ErrBusy) {
			t.Fatalf("busy source: %v, want ErrBusy", err)
		}
		// A try cut short by the wait's deadline is the wait's end too.
		gate.Locks = failingLocks{err: fmt.Errorf("lock: %w", context.DeadlineExceeded), block: true}
		if _, err := gate.Lock(ctx, "a@h"); !errors.Is(err, ErrBusy) {
			t.Fatalf("try cut by the gate's wait: %v, want ErrBusy", err)
		}
	})
}
