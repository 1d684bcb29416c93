package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestLagCountsUnappliedEventsAndFailsReadiness(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	for range 5 {
		if _, err := store.Append(ctx, "s-1", eventstore.ExpectAny, eventstore.NewEvent{Type: "t", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// "behind" has applied the first two events; "never" has no checkpoint.
	var tx, pos int64
	if err := pool.QueryRow(ctx, `SELECT transaction_id::text::bigint, global_position FROM events ORDER BY transaction_id, global_position OFFSET 1 LIMIT 1`).Scan(&tx, &pos); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO event_consumer_offsets (consumer_group, offset_acked, last_processed_transaction_id)
		VALUES ('behind', $1, $2::bigint::text::xid8)`, pos, tx); err != nil {
		t.Fatal(err)
	}
	lag, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), eventstore.RunnerConfig{},
		idle("behind"), idle("never"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := lag.Lag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got["behind"] != 3 || got["never"] != 5 {
		t.Fatalf("lag %v, want behind 3, never 5", got)
	}
	ready := postgres.Readiness{Pool: pool, Lag: lag.Lag, MaxLag: 4}
	if err := ready.Ready(ctx); err == nil || !strings.Contains(err.Error(), "never is 5 events behind") {
		t.Fatalf("readiness with a projection 5 behind (max 4): %v", err)
	}
	ready.MaxLag = 5
	if err := ready.Ready(ctx); err != nil {
		t.Fatalf("readiness within the lag: %v", err)
	}
}

// idle is a projection that is never run: only its checkpoint matters.
type idle string

func (p idle) Name() string                                        { return string(p) }
func (idle) Apply(context.Context, pgx.Tx, eventstore.Event) error { return nil }
