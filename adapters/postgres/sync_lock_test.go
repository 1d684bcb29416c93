package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A try that finds the lock taken gives its connection back at once: with
// a pool of two, one holder and any number of failed tries leave a
// connection for the holder's work.
func TestSyncLockIsTriedAndNeverHoldsAConnectionWhenTaken(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(pgtest.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(pgtest.Context(), 10*time.Second)
	defer cancel()
	lock := postgres.SyncLock{Pool: pool}

	unlock, ok, err := lock.TryLock(ctx, "a@h")
	if err != nil || !ok {
		t.Fatalf("first try = %v, %v", ok, err)
	}
	for range 5 {
		if _, ok, err := lock.TryLock(ctx, "a@h"); err != nil || ok {
			t.Fatalf("a try while held = %v, %v; want not taken", ok, err)
		}
	}
	if got := pool.Stat().AcquiredConns(); got != 1 {
		t.Fatalf("%d connections held after failed tries, want 1 (the holder's)", got)
	}
	// The holder's work still gets a connection.
	if _, err := pool.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	// Another source's lock is independent.
	unlockB, ok, err := lock.TryLock(ctx, "b@h")
	if err != nil || !ok {
		t.Fatalf("other source = %v, %v", ok, err)
	}
	unlockB()
	unlock()
	again, ok, err := lock.TryLock(ctx, "a@h")
	if err != nil || !ok {
		t.Fatalf("after unlock = %v, %v", ok, err)
	}
	again()
	if got := pool.Stat().AcquiredConns(); got != 0 {
		t.Fatalf("%d connections held after every unlock", got)
	}
}

// Through the gate, syncs of one source queue up and each gets its turn;
// a caller whose wait runs out gets app.ErrBusy, never a hang.
func TestSyncGateOnPostgreSQL(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	gate := app.SyncGate{Slots: app.NewSyncSlots(2), Locks: postgres.SyncLock{Pool: pool}}
	ctx := pgtest.Context()
	unlock, err := gate.Lock(ctx, "a@h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gate.Within(300*time.Millisecond).Lock(ctx, "a@h"); !errors.Is(err, app.ErrBusy) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second lock of a busy source = %v, want ErrBusy", err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := gate.Within(5*time.Second).Lock(ctx, "a@h")
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("the waiter did not get the lock once it was free: %v", err)
	}
}
