package migrations_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestApplyIsIdempotentAndRaceFree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}

	before, err := migrations.Pending(ctx, pool)
	if err != nil || before != len(all) {
		t.Fatalf("Pending on an empty database = %d, %v; want %d", before, err, len(all))
	}

	// Four processes starting at once: the lock makes exactly one apply.
	const starters = 4
	applied := make([]int, starters)
	errs := make([]error, starters)
	var wg sync.WaitGroup
	for i := range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = migrations.Apply(ctx, pool)
		}()
	}
	wg.Wait()
	total := 0
	for i := range starters {
		if errs[i] != nil {
			t.Fatalf("concurrent Apply %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != len(all) {
		t.Fatalf("concurrent Apply applied %d migrations in all, want %d", total, len(all))
	}

	again, err := migrations.Apply(ctx, pool)
	if err != nil || again != 0 {
		t.Fatalf("second Apply = %d, %v; want 0, nil", again, err)
	}
	after, err := migrations.Pending(ctx, pool)
	if err != nil || after != 0 {
		t.Fatalf("Pending after Apply = %d, %v; want 0", after, err)
	}
}

func TestApplyRefusesAnEditedMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(ctx, `UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := migrations.Apply(ctx, pool)
	if !errors.Is(err, migrations.ErrChecksumMismatch) {
		t.Fatalf("Apply on a database whose applied migration differs from the binary's = %v, want ErrChecksumMismatch", err)
	}
}
