package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// Revoking a consumer key ends each of its subscriptions with an event
// that says why, drops the subscriber counts of the sources it left, and a
// source left with no subscriber drops out of scheduled syncs.
func TestRevokingAKeyEndsItsSubscriptions(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	f := newKeysAndSubscriptions(t)
	pool, store, w, sources, subs, keys, reader := f.pool, f.store, f.w, f.sources, f.subs, f.keys, f.reader
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	for _, k := range []string{"revoked", "kept"} {
		if err := keys.Issue(ctx, domain.APIKeyIssued{KeyID: k, Role: domain.RoleConsumer, Hash: "h-" + k, IssuedBy: "admin", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	// Source a has both consumers, b only the one to be revoked.
	subscribers := map[domain.SourceID][]string{"author@127.0.0.1:9101": {"revoked", "kept"}, "author@127.0.0.1:9102": {"revoked"}}
	for id, who := range subscribers {
		s := verifiedSource(t, ctx, sources, id, len(who)) // the count as the first sync records it
		for _, k := range who {
			sub := domain.NewSubscription(id, k)
			if err := sub.Subscribe(s.State(), domain.Filters{Tags: []string{"x"}}, now); err != nil {
				t.Fatal(err)
			}
			if err := subs.Save(ctx, sub); err != nil {
				t.Fatal(err)
			}
		}
	}
	jobs := postgres.Jobs{Pool: pool}
	first := map[app.JobKind]time.Duration{app.JobHealth: time.Hour, app.JobSync: 0, app.JobReverify: time.Hour, app.JobRecheck: time.Hour}
	if err := jobs.Plan(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := syncJobs(t, ctx, pool); !slices.Equal(got, []string{"author@127.0.0.1:9101", "author@127.0.0.1:9102"}) {
		t.Fatalf("test premise: sync jobs %v", got)
	}

	revoke := app.RevokeKey{Keys: keys, Sources: sources, Subscriptions: subs, Reader: reader,
		Shown: postgres.CatchUp{Pool: pool, Waiter: w, Projection: postgres.SubscriptionsProjection}, Now: clock}
	admin := app.Principal{KeyID: "admin", Role: domain.RoleAdmin}
	if _, err := revoke.Handle(ctx, admin, "revoked"); err != nil {
		t.Fatal(err)
	}

	left, err := reader.ListSubscriptions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Subscriber != "kept" || left[0].SourceID != "author@127.0.0.1:9101" {
		t.Fatalf("subscriptions after the revocation: %+v, want only kept's to a", left)
	}
	for id, want := range map[domain.SourceID]int{"author@127.0.0.1:9101": 1, "author@127.0.0.1:9102": 0} {
		s, err := sources.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.State().TrustInputs.Subscribers; got != want {
			t.Errorf("%s: trust input subscribers = %d, want %d", id, got, want)
		}
		var shown int
		if err := pool.QueryRow(ctx, `SELECT subscriber_count FROM sources WHERE id = $1`, string(id)).Scan(&shown); err != nil || shown != want {
			t.Errorf("%s: sources.subscriber_count = %d (%v), want %d", id, shown, err, want)
		}
		filters, err := reader.ActiveFilters(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := filters["revoked"]; ok {
			t.Errorf("%s: a sync would still use the revoked key's filters", id)
		}

		stored, err := store.Load(ctx, "subscription-"+string(id)+"/revoked")
		if err != nil {
			t.Fatal(err)
		}
		last := stored[len(stored)-1]
		var ev domain.Unsubscribed
		if err := json.Unmarshal(last.Payload, &ev); err != nil || last.Type != domain.EventUnsubscribed || ev.Reason != "key revoked" {
			t.Errorf("%s: last event %s %s, want an unsubscribe with reason \"key revoked\"", id, last.Type, last.Payload)
		}
	}
	if err := jobs.Plan(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := syncJobs(t, ctx, pool); !slices.Equal(got, []string{"author@127.0.0.1:9101"}) {
		t.Errorf("sync jobs after the revocation: %v, want only the source that kept a subscriber", got)
	}

	// A sync that started before the revocation records the count it
	// began with; the next sync finds no subscriber and puts it right.
	stale, err := sources.Load(ctx, "author@127.0.0.1:9102")
	if err != nil {
		t.Fatal(err)
	}
	stale.SetSubscriberCount(1, now)
	if err := sources.Save(ctx, stale); err != nil {
		t.Fatal(err)
	}
	sync := app.SyncSource{Sources: sources, Subscriptions: reader, Locker: app.SyncGate{Slots: app.NewSyncSlots(1), Locks: postgres.SyncLock{Pool: pool}}, Now: clock}
	if res, err := sync.Run(ctx, "author@127.0.0.1:9102"); err != nil || res.Wanted != 0 {
		t.Fatalf("sync of a source without subscribers: %+v, %v", res, err)
	}
	if s, err := sources.Load(ctx, "author@127.0.0.1:9102"); err != nil || s.State().TrustInputs.Subscribers != 0 {
		t.Fatalf("subscriber count after a sync without subscribers: %v", err)
	}
	if err := jobs.Plan(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := syncJobs(t, ctx, pool); !slices.Equal(got, []string{"author@127.0.0.1:9101"}) {
		t.Errorf("sync jobs after the stale count was put right: %v", got)
	}

	// Revoking again changes nothing and records nothing.
	before := countEvents(t, ctx, pool)
	if _, err := revoke.Handle(ctx, admin, "revoked"); err != nil {
		t.Fatal(err)
	}
	if after := countEvents(t, ctx, pool); after != before {
		t.Errorf("a second revocation appended %d events", after-before)
	}
}

func syncJobs(t *testing.T, ctx context.Context, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(ctx, `SELECT source_id FROM jobs WHERE kind = 'sync' ORDER BY 1`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func countEvents(t *testing.T, ctx context.Context, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
