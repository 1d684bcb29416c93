package eventstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A reader holding one table and about to read a second (one statement over
// two tables does this) while the swap locks both in the other order: with
// a plain LOCK TABLE, PostgreSQL aborts one of the two as a deadlock after
// deadlock_timeout. The swap gives way instead, and both finish.
func TestSwapLocksGiveWayToAReaderInTheOtherOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE lock_a (x int); CREATE TABLE lock_b (x int)`); err != nil {
		t.Fatal(err)
	}
	reader, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	if _, err := reader.Exec(ctx, `SELECT count(*) FROM lock_b`); err != nil { // holds lock_b
		t.Fatal(err)
	}

	swapped := make(chan error, 1)
	go func() {
		swapped <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			return eventstore.LockLiveTables(ctx, tx, []string{"lock_a", "lock_b"}) // takes lock_a, waits for lock_b
		})
	}()
	time.Sleep(100 * time.Millisecond) // the swap now holds lock_a
	if _, err := reader.Exec(ctx, `SELECT count(*) FROM lock_a`); err != nil {
		t.Fatalf("the reader was aborted: %v", err)
	}
	if err := reader.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-swapped:
		if err != nil {
			t.Fatalf("the swap's locks: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the swap never got its locks")
	}
}
