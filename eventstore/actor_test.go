package eventstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// Every event says who appended it: an append without an actor, from the
// context or the event's own metadata, is refused and writes nothing, alone
// or among other events, through Append and AppendMany.
func TestAppendWithoutActorIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	named := ev("b", `{}`)
	named.Metadata.Actor = "key_1"
	tests := []struct {
		name   string
		ctx    context.Context
		append func(ctx context.Context) error
	}{
		{"no metadata", context.Background(), func(ctx context.Context) error {
			_, err := store.Append(ctx, "s", 0, ev("a", `{}`))
			return err
		}},
		{"metadata without actor", eventstore.WithMetadata(context.Background(), eventstore.Metadata{RequestID: "r"}),
			func(ctx context.Context) error {
				_, err := store.Append(ctx, "s", eventstore.ExpectAny, ev("a", `{}`))
				return err
			}},
		{"one of two events without actor", context.Background(), func(ctx context.Context) error {
			_, err := store.Append(ctx, "s", 0, named, ev("a", `{}`))
			return err
		}},
		{"append many", context.Background(), func(ctx context.Context) error {
			_, err := store.AppendMany(ctx, []eventstore.StreamAppend{
				{StreamID: "s", Expected: 0, Events: []eventstore.NewEvent{named}},
				{StreamID: "t", Expected: 0, Events: []eventstore.NewEvent{ev("a", `{}`)}}})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.append(tt.ctx); !errors.Is(err, eventstore.ErrNoActor) {
			t.Errorf("%s: append = %v, want ErrNoActor", tt.name, err)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("events stored = %d, %v; want none", n, err)
	}

	// The actor may come from the context or from the event itself.
	if _, err := store.Append(eventstore.WithActor(context.Background(), "scheduler"), "s", 0, ev("a", `{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), "s", 1, named); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(context.Background(), "s")
	if err != nil || len(got) != 2 || got[0].Metadata.Actor != "scheduler" || got[1].Metadata.Actor != "key_1" {
		t.Fatalf("Load = %+v, %v; want actors scheduler, key_1", got, err)
	}
}
