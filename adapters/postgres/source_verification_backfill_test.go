package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// Migration 0011 on a node that already has verifications on record: it
// fills the new columns from the events the sources projection has
// applied, and the projection, catching up, adds the rest once.
func TestMigration0011FillsVerificationResultsFromTheLog(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	runner, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PollInterval: 10 * time.Millisecond}, postgres.SourceProjection{})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { runner.Run(runCtx); close(stopped) }()
	repo := postgres.SourceRepository{Store: eventstore.New(pool), Waiter: waiter{runner}}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const id = "author@127.0.0.1:9001"
	s, err := domain.RegisterSource("http://127.0.0.1:9001", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.RecordOwnershipProof(true, "", now.Add(time.Minute))
	_ = s.RecordOwnershipProof(false, "signature does not verify", now.Add(2*time.Minute))
	_ = s.RecordOwnershipProof(true, "", now.Add(3*time.Minute))
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	other, _ := domain.RegisterSource("http://127.0.0.1:9002", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	_ = other.RecordOwnershipProof(false, "connection refused", now.Add(time.Minute))
	if err := repo.Save(ctx, other); err != nil {
		t.Fatal(err)
	}
	stop()
	<-stopped

	// One more verification the projection has not applied when the node
	// stops for the upgrade.
	repo.Waiter = noWait{}
	loaded, err := repo.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	_ = loaded.RecordOwnershipProof(true, "", now.Add(4*time.Minute))
	if err := repo.Save(ctx, loaded); err != nil {
		t.Fatal(err)
	}

	// The schema as it was before 0011, then 0011 itself.
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	var m0011 string
	for _, m := range all {
		if m.Version == 11 {
			m0011 = m.SQL
		}
	}
	pgtest.Exec(t, pool, `ALTER TABLE sources DROP COLUMN last_verification_result, DROP COLUMN successful_verifications`, m0011)

	reader := postgres.SourceReader{Pool: pool}
	check := func(step, id, result string, successes int) {
		t.Helper()
		checkVerifications(t, reader, step, id, result, successes)
	}
	check("migrated", id, "success", 2)
	check("migrated", "author@127.0.0.1:9002", "failed: connection refused", 0)

	r := startRunner(t, pool)
	events, err := eventstore.New(pool).Load(ctx, "source-"+id)
	if err != nil {
		t.Fatal(err)
	}
	if err := (waiter{r}).WaitFor(ctx, postgres.SourcesProjection, events[len(events)-1].Position()); err != nil {
		t.Fatal(err)
	}
	check("caught up", id, "success", 3)
	before := checksum(t, pool)
	if err := r.Replay(ctx, postgres.SourcesProjection); err != nil {
		t.Fatal(err)
	}
	if err := (waiter{r}).WaitFor(ctx, postgres.SourcesProjection, events[len(events)-1].Position()); err != nil {
		t.Fatal(err)
	}
	if after := checksum(t, pool); after != before {
		t.Fatalf("a replay gives another sources table than migration and catch-up: %s vs %s", after, before)
	}
}
