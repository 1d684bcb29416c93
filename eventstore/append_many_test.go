package eventstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestAppendManyIsAllOrNothingInATransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
