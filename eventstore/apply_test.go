package eventstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// batchRecorder is a recorder that takes pages whole (eventstore.BatchApplier).
type batchRecorder struct{ *recorder }

func (b batchRecorder) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	for _, e := range events {
		if err := b.Apply(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// A batch applier that fails on a page in the live runner: the applier
// finds the failing event, keeps the others in order, once each, and
// poisons only that one.
func TestLiveRunnerFindsTheFailingEventOfABatch(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	rec := &recorder{name: "rec", fail: func(e eventstore.Event, _ int) string {
		return map[bool]string{true: "sql"}[e.Type == "bad"]
	}}
	// Appended before the runner starts, so that they arrive as one page.
	var last eventstore.Appended
	for _, typ := range []string{"good1", "good2", "bad", "good3"} {
		var err error
		if last, err = store.Append(ctx, typ, 0, ev(typ, `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	r := startRunner(t, pool, nil, batchRecorder{rec})
	waitFor(t, r, "rec", last.Position)

	var got []string
	for _, s := range seen(t, pool, "rec") {
		got = append(got, s.Type)
	}
	if strings.Join(got, ",") != "good1,good2,good3" {
		t.Fatalf("projected %v, want good1,good2,good3 (each exactly once)", got)
	}
	var poisoned string
	var attempts int
	if err := pool.QueryRow(ctx, `SELECT event_type, attempts FROM poisoned_events WHERE consumer_group = 'rec'`).
		Scan(&poisoned, &attempts); err != nil || poisoned != "bad" || attempts != 3 {
		t.Fatalf("poisoned %q after %d attempts (%v), want bad after 3", poisoned, attempts, err)
	}
}

// An event this build cannot read (written by a newer build) is never
// poisoned: the checkpoint, shared by every node on the database, stays
// before it, and once a build that reads it runs, it is applied with the
// rest, each once.
func TestAnEventOfANewerBuildHoldsTheProjectionInsteadOfBeingPoisoned(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	var upgraded atomic.Bool
	rec := &recorder{name: "rec", fail: func(e eventstore.Event, _ int) string {
		return map[bool]string{true: "newer"}[e.Type == "future" && !upgraded.Load()]
	}}
	var last eventstore.Appended
	for _, typ := range []string{"good1", "future", "good2"} {
		var err error
		if last, err = store.Append(ctx, typ, 0, ev(typ, `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	r := startRunner(t, pool, nil, rec)
	time.Sleep(1500 * time.Millisecond) // several attempts of the page
	var poisoned int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM poisoned_events`).Scan(&poisoned); err != nil || poisoned != 0 {
		t.Fatalf("%d poisoned events (%v), want none", poisoned, err)
	}
	if got := seen(t, pool, "rec"); len(got) > 1 {
		t.Fatalf("projected %v past an event it could not read", got)
	}

	upgraded.Store(true)
	waitFor(t, r, "rec", last.Position)
	var got []string
	for _, s := range seen(t, pool, "rec") {
		got = append(got, s.Type)
	}
	if strings.Join(got, ",") != "good1,future,good2" {
		t.Fatalf("projected %v, want good1,future,good2 (each exactly once)", got)
	}
}
