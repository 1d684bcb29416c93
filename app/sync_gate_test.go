package app

import (
	"context"
	"errors"
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

	t.Run("no more than the slots at once", func(t *testing.T) {
		var running, most atomic.Int64
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
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				running.Add(-1)
				unlock()
			}()
		}
		wg.Wait()
		if most.Load() != 2 {
			t.Fatalf("%d syncs ran at once with 2 slots", most.Load())
		}
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
