package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

type waiter struct{ r *eventstore.Runner }

func (w waiter) WaitFor(ctx context.Context, name string, pos eventstore.Position) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return w.r.WaitFor(ctx, name, pos)
}

// sourceRepository starts the projections on pool (as startRunner does)
// and returns a source repository whose saves wait for them, and the
// runner.
func sourceRepository(t *testing.T, pool *pgxpool.Pool, more ...eventstore.Projection) (postgres.SourceRepository, *eventstore.Runner) {
	t.Helper()
	r := startRunner(t, pool, more...)
	return postgres.SourceRepository{Store: eventstore.New(pool), Waiter: waiter{r}}, r
}

// startRunner runs the sources and keys projections, and any others given.
func startRunner(t *testing.T, pool *pgxpool.Pool, more ...eventstore.Projection) *eventstore.Runner {
	t.Helper()
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PollInterval: 10 * time.Millisecond},
		append([]eventstore.Projection{postgres.SourceProjection{}, postgres.KeyProjection{}}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pgtest.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func checksum(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sum string
	err := pool.QueryRow(pgtest.Context(), `SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY id), '')) FROM sources s`).Scan(&sum)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestSourceRepositoryAndProjection(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	repo, r := sourceRepository(t, pool)
	reader := postgres.SourceReader{Pool: pool}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, err := domain.RegisterSource("http://127.0.0.1:9001/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	dup, _ := domain.RegisterSource("http://127.0.0.1:9001", "author", base64.StdEncoding.EncodeToString(pub), "key_b", now)
	if err := repo.Save(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second registration: %v, want ErrConflict", err)
	}

	loaded, err := repo.Load(ctx, "author@127.0.0.1:9001")
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.RefreshInfo(domain.PublisherInfo{ProtocolVersion: "1.0.0", AssetDomain: "http://127.0.0.1:9001",
		NamingScheme: "plugins/author/slug/slug.zip", Features: []string{"plugin-distribution"}}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_ = loaded.RecordOwnershipProof(true, "", now.Add(2*time.Second))
	health := domain.LoadHealth(nil, 0)
	for i, ms := range []int64{120, 220} {
		c, _ := health.Check(time.Time{}, true, ms, "", now.Add(time.Duration(3+i)*time.Second))
		_ = loaded.ObserveHealth(c)
	}
	if err := repo.Save(ctx, loaded); err != nil {
		t.Fatal(err)
	}

	v, err := reader.GetSource(ctx, "author@127.0.0.1:9001")
	if err != nil {
		t.Fatal(err)
	}
	state := loaded.State()
	if v.Status != "verified" || v.TrustScore != state.Trust.Score || v.TrustComponents != state.Trust ||
		v.AvgResponseMS == nil || *v.AvgResponseMS != state.TrustInputs.ResponseMSAvg ||
		v.AssetNamingScheme != "plugins/author/slug/slug.zip" || v.CreatedAt != now.Unix() || v.AddedBy != "key_a" {
		t.Fatalf("read model %+v does not match the aggregate %+v", v, state)
	}

	stale, _ := repo.Load(ctx, "author@127.0.0.1:9001")
	down, _ := health.Check(time.Time{}, false, 0, "timeout", now.Add(5*time.Second))
	_ = loaded.ObserveHealth(down)
	if err := repo.Save(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	_ = stale.RecordFailure(domain.FailureSync, "refused", now.Add(5*time.Second))
	if err := repo.Save(ctx, stale); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("save of a stale aggregate: %v, want ErrConflict", err)
	}

	before := checksum(t, pool)
	if err := r.Replay(ctx, postgres.SourcesProjection); err != nil {
		t.Fatal(err)
	}
	last, err := eventstore.New(pool).Load(ctx, "source-author@127.0.0.1:9001")
	if err != nil {
		t.Fatal(err)
	}
	if err := (waiter{r}).WaitFor(ctx, postgres.SourcesProjection, last[len(last)-1].Position()); err != nil {
		t.Fatal(err)
	}
	if after := checksum(t, pool); after != before {
		t.Fatalf("rebuilt sources table differs: %s vs %s", after, before)
	}
}
