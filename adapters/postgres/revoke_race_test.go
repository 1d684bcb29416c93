package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

var raceNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// keysAndSubscriptions are the stores a revocation works with, on a fresh
// database with the sources, keys and subscriptions projections running.
type keysAndSubscriptions struct {
	pool    *pgxpool.Pool
	store   *eventstore.Store
	w       waiter
	sources postgres.SourceRepository
	subs    postgres.SubscriptionRepository
	keys    postgres.KeyStore
	reader  postgres.SubscriptionReader
}

func newKeysAndSubscriptions(t *testing.T) keysAndSubscriptions {
	t.Helper()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	w := waiter{startRunner(t, pool, postgres.SubscriptionProjection{})}
	return keysAndSubscriptions{pool: pool, store: store, w: w,
		sources: postgres.SourceRepository{Store: store, Waiter: w}, subs: postgres.SubscriptionRepository{Store: store, Waiter: w},
		keys: postgres.KeyStore{Pool: pool, Store: store, Waiter: w}, reader: postgres.SubscriptionReader{Pool: pool}}
}

// verifiedSource registers a source with its ownership proven.
func verifiedSource(t *testing.T, ctx context.Context, sources postgres.SourceRepository, id domain.SourceID, subscribers int) *domain.Source {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	s, err := domain.RegisterSource("http://"+string(id)[len("author@"):], "author", base64.StdEncoding.EncodeToString(pub), "admin", raceNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOwnershipProof(true, "", raceNow); err != nil {
		t.Fatal(err)
	}
	s.SetSubscriberCount(subscribers, raceNow)
	if err := sources.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func issueConsumerKey(t *testing.T, ctx context.Context, keys postgres.KeyStore, id string) {
	t.Helper()
	if err := keys.Issue(ctx, domain.APIKeyIssued{KeyID: id, Role: domain.RoleConsumer, Hash: "h-" + id, IssuedBy: "admin", At: raceNow}); err != nil {
		t.Fatal(err)
	}
}

// lastEndedByRevocation fails unless the subscription's last event is an
// Unsubscribed with reason "key revoked".
func lastEndedByRevocation(t *testing.T, ctx context.Context, store *eventstore.Store, id domain.SourceID, key string) {
	t.Helper()
	stored, err := store.Load(ctx, "subscription-"+string(id)+"/"+key)
	if err != nil || len(stored) == 0 {
		t.Fatalf("subscription stream: %d events, %v", len(stored), err)
	}
	last := stored[len(stored)-1]
	var ev domain.Unsubscribed
	if err := json.Unmarshal(last.Payload, &ev); err != nil || last.Type != domain.EventUnsubscribed || ev.Reason != domain.UnsubscribedKeyRevoked {
		t.Fatalf("last event %s %s, want an unsubscribe with reason %q", last.Type, last.Payload, domain.UnsubscribedKeyRevoked)
	}
}

func subscriberCount(t *testing.T, ctx context.Context, pool *pgxpool.Pool, sources postgres.SourceRepository, id domain.SourceID) (trust, shown int) {
	t.Helper()
	s, err := sources.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT subscriber_count FROM sources WHERE id = $1`, string(id)).Scan(&shown); err != nil {
		t.Fatal(err)
	}
	return s.State().TrustInputs.Subscribers, shown
}

// A subscription whose key is revoked but not (yet) ended — one racing the
// revocation, or one a revocation cut short left — neither drives syncs
// (its filters) nor counts as a subscriber.
func TestRevokedKeysSubscriptionsNeitherDriveSyncsNorCount(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	f := newKeysAndSubscriptions(t)
	sources, subs, keys, reader := f.sources, f.subs, f.keys, f.reader

	id := domain.SourceID("author@127.0.0.1:9103")
	s := verifiedSource(t, ctx, sources, id, 0)
	issueConsumerKey(t, ctx, keys, "revoked")
	issueConsumerKey(t, ctx, keys, "kept")
	// "master" has no api_keys row: the master key's subscription counts.
	for _, k := range []string{"revoked", "kept", "master"} {
		sub := domain.NewSubscription(id, k)
		if err := sub.Subscribe(s.State(), domain.Filters{}, raceNow); err != nil {
			t.Fatal(err)
		}
		if err := subs.Save(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := keys.Revoke(ctx, domain.APIKeyRevoked{KeyID: "revoked", RevokedBy: "admin", At: raceNow}); err != nil {
		t.Fatal(err)
	}

	filters, err := reader.ActiveFilters(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := filters["revoked"]; ok || len(filters) != 2 {
		t.Errorf("filters a sync uses: %v, want kept's and master's only", filters)
	}
	if n, err := reader.CountSubscribers(ctx, id); err != nil || n != 2 {
		t.Errorf("subscriber count = %d (%v), want 2 (the revoked key's not counted)", n, err)
	}
}

// The revocation lists the key's subscriptions from the read model: one
// committed before the revocation but not yet projected is waited for, and
// ended.
func TestRevokingEndsASubscriptionTheReadModelDoesNotShowYet(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	runner := startRunner(t, pool) // sources and keys; subscriptions below
	store := eventstore.New(pool)
	w := waiter{runner}
	sources := postgres.SourceRepository{Store: store, Waiter: w}
	keys := postgres.KeyStore{Pool: pool, Store: store, Waiter: w}

	id := domain.SourceID("author@127.0.0.1:9104")
	s := verifiedSource(t, ctx, sources, id, 1)
	issueConsumerKey(t, ctx, keys, "racing")

	// The subscriptions projection runs in a runner of its own, started only
	// once the revocation is about to list: until then the read model shows
	// nothing of the subscription recorded here.
	subsRunner, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), eventstore.RunnerConfig{PollInterval: 10 * time.Millisecond}, postgres.SubscriptionProjection{})
	if err != nil {
		t.Fatal(err)
	}
	sw := waiter{subsRunner}
	subs := postgres.SubscriptionRepository{Store: store, Waiter: sw}
	sub := domain.NewSubscription(id, "racing")
	if err := sub.Subscribe(s.State(), domain.Filters{}, raceNow); err != nil {
		t.Fatal(err)
	}
	if _, err := subs.Record(ctx, sub); err != nil { // committed, not waited for
		t.Fatal(err)
	}
	reader := postgres.SubscriptionReader{Pool: pool}
	if listed, err := reader.ListSubscriptions(ctx, "racing"); err != nil || len(listed) != 0 {
		t.Fatalf("test premise: the read model already shows %v (%v)", listed, err)
	}

	start := func() {
		runCtx, cancel := context.WithCancel(pgtest.Context())
		done := make(chan struct{})
		go func() { subsRunner.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	revoke := app.RevokeKey{Keys: keys, Sources: sources, Subscriptions: subs, Reader: reader,
		Shown: startThenCatchUp{start: start, inner: postgres.CatchUp{Pool: pool, Waiter: sw, Projection: postgres.SubscriptionsProjection}},
		Now:   func() time.Time { return raceNow }}
	if _, err := revoke.Handle(ctx, app.Principal{KeyID: "admin", Role: domain.RoleAdmin}, "racing"); err != nil {
		t.Fatal(err)
	}

	lastEndedByRevocation(t, ctx, store, id, "racing")
	if listed, err := reader.ListSubscriptions(ctx, "racing"); err != nil || len(listed) != 0 {
		t.Errorf("subscriptions left after the revocation: %v (%v)", listed, err)
	}
	if trust, shown := subscriberCount(t, ctx, pool, sources, id); trust != 0 || shown != 0 {
		t.Errorf("subscriber count after the revocation: trust input %d, sources table %d, want 0", trust, shown)
	}
}

// startThenCatchUp starts the subscriptions projection at the moment the
// revocation asks for it to catch up.
type startThenCatchUp struct {
	start func()
	inner postgres.CatchUp
}

func (s startThenCatchUp) CatchUp(ctx context.Context) error {
	s.start()
	return s.inner.CatchUp(ctx)
}

// A subscribe authenticated before the key's revocation records its
// subscription after the revocation listed the key's (none): it finds the
// revocation, ends the subscription it recorded and answers as for a
// revoked key, without running a sync.
func TestSubscribeRacingARevocationEndsItsSubscription(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	f := newKeysAndSubscriptions(t)
	pool, store, w, sources, subs, keys, reader := f.pool, f.store, f.w, f.sources, f.subs, f.keys, f.reader
	clock := func() time.Time { return raceNow }

	id := domain.SourceID("author@127.0.0.1:9105")
	verifiedSource(t, ctx, sources, id, 0)
	issueConsumerKey(t, ctx, keys, "racing")
	authenticated := app.Principal{KeyID: "racing", Role: domain.RoleConsumer}

	revoke := app.RevokeKey{Keys: keys, Sources: sources, Subscriptions: subs, Reader: reader,
		Shown: postgres.CatchUp{Pool: pool, Waiter: w, Projection: postgres.SubscriptionsProjection}, Now: clock}
	if _, err := revoke.Handle(ctx, app.Principal{KeyID: "admin", Role: domain.RoleAdmin}, "racing"); err != nil {
		t.Fatal(err)
	}

	// The source's lock is held: a first sync, if one were tried, would be
	// busy and left to the schedule (an answer of success).
	unlock, ok, err := postgres.SyncLock{Pool: pool}.TryLock(ctx, id)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer unlock()
	subscribe := app.Subscribe{Sources: sources, Subscriptions: subs, Reader: reader,
		Sync: app.SyncSource{Sources: sources, Subscriptions: reader, Now: clock,
			Locker: app.SyncGate{Slots: app.NewSyncSlots(1), Locks: postgres.SyncLock{Pool: pool}, Wait: 50 * time.Millisecond}},
		Jobs: postgres.Jobs{Pool: pool}, Revocations: keys, Now: clock}
	res, err := subscribe.Handle(ctx, authenticated, id, []byte(`{}`))
	if !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("subscribe with a key revoked meanwhile: %+v, %v; want it refused as unauthenticated", res, err)
	}
	lastEndedByRevocation(t, ctx, store, id, "racing")
	if listed, err := reader.ListSubscriptions(ctx, "racing"); err != nil || len(listed) != 0 {
		t.Errorf("subscriptions of the revoked key: %v (%v)", listed, err)
	}
	if trust, shown := subscriberCount(t, ctx, pool, sources, id); trust != 0 || shown != 0 {
		t.Errorf("subscriber count: trust input %d, sources table %d, want 0", trust, shown)
	}
	var requested int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE kind = 'sync' AND source_id = $1`, string(id)).Scan(&requested); err != nil || requested != 0 {
		t.Errorf("sync jobs made due for the revoked key's subscription: %d (%v)", requested, err)
	}
}
