package eventstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestAppendManyIsAllOrNothingInATransaction(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	if _, err := store.Append(ctx, "b", 0, ev("x", `{}`)); err != nil {
		t.Fatal(err)
	}

	res, err := store.AppendMany(ctx, []eventstore.StreamAppend{
		{StreamID: "a", Expected: 0, Events: []eventstore.NewEvent{ev("a1", `{}`), ev("a2", `{}`)}},
		{StreamID: "b", Expected: 1, Events: []eventstore.NewEvent{ev("b2", `{}`)}},
	})
	if err != nil || len(res) != 2 || res[0].Version != 2 || res[1].Version != 2 {
		t.Fatalf("AppendMany = %+v, %v", res, err)
	}

	// A stale version in one stream fails the whole transaction.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := eventstore.New(tx).AppendMany(ctx, []eventstore.StreamAppend{
			{StreamID: "c", Expected: 0, Events: []eventstore.NewEvent{ev("c1", `{}`)}},
			{StreamID: "a", Expected: 1, Events: []eventstore.NewEvent{ev("a3", `{}`)}},
		})
		return err
	})
	var conflict *eventstore.ConflictError
	if !errors.As(err, &conflict) || conflict.StreamID != "a" || conflict.Actual != 2 {
		t.Fatalf("stale AppendMany = %v, want a conflict on a", err)
	}
	if v, _ := store.Version(ctx, "c"); v != 0 {
		t.Fatalf("stream c has version %d after a failed AppendMany", v)
	}
}

// Two transactions append to one stream at the same version: the second
// loses the race on the unique (stream, version) key, and that is a
// conflict (it was a raw error, an HTTP 500).
func TestAppendManyLosingARaceIsAConflict(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	if _, err := eventstore.New(first).AppendMany(ctx, []eventstore.StreamAppend{
		{StreamID: "s", Expected: 0, Events: []eventstore.NewEvent{ev("s1", `{}`)}}}); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		second <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := eventstore.New(tx).AppendMany(ctx, []eventstore.StreamAppend{
				{StreamID: "other", Expected: 0, Events: []eventstore.NewEvent{ev("o1", `{}`)}},
				{StreamID: "s", Expected: 0, Events: []eventstore.NewEvent{ev("s1-too", `{}`)}}})
			return err
		})
	}()
	// The second waits on the first's uncommitted row; let it get there.
	waitUntilBlocked(t, pool)
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-second
	var conflict *eventstore.ConflictError
	if !errors.As(err, &conflict) || conflict.StreamID != "s" || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("the losing append = %v, want a conflict on s", err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d events stored, want the winner's 1", n)
	}
}

// waitUntilBlocked waits until a session of this database waits on a lock.
func waitUntilBlocked(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for range 200 {
		var waiting bool
		_ = pool.QueryRow(pgtest.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
		if waiting {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the second append never blocked")
}
