// Package pgtest gives each test its own freshly migrated PostgreSQL
// database, cloned from a template (pgtestdb), so tests touching storage run
// in parallel against the real server.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb opens
	"github.com/peterldowns/pgtestdb"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations"
)

// ServerURL is the PostgreSQL server tests use: PFN_TEST_DATABASE_URL, or the
// local server this kind of machine runs.
func ServerURL() string {
	if u := os.Getenv("PFN_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func config(tb testing.TB) pgtestdb.Config {
	u, err := url.Parse(ServerURL())
	if err != nil {
		tb.Fatalf("PFN_TEST_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      u.Hostname(),
		Port:                      u.Port(),
		User:                      u.User.Username(),
		Password:                  pw,
		Database:                  u.Path[1:],
		Options:                   u.RawQuery,
		ForceTerminateConnections: true,
	}
}

type migrator struct{}

func (migrator) Hash() (string, error) { return migrations.Hash() }

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	conn, err := pgx.Connect(ctx, conf.URL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = migrations.Apply(ctx, conn)
	return err
}

// URL returns the connection string of a new migrated database that is
// dropped when the test ends (kept when it fails, for a look).
func URL(tb testing.TB) string {
	tb.Helper()
	return pgtestdb.Custom(tb, config(tb), migrator{}).URL()
}

// Pool returns a pool on a new migrated database.
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), URL(tb))
	if err != nil {
		tb.Fatalf("connect to test database: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Exec runs statements on the pool, failing the test on error.
func Exec(tb testing.TB, pool *pgxpool.Pool, stmts ...string) {
	tb.Helper()
	for _, s := range stmts {
		if _, err := pool.Exec(context.Background(), s); err != nil {
			tb.Fatalf("%s: %v", s, fmt.Sprint(err))
		}
	}
}

// EmptyURL returns a new database with no migrations applied.
func EmptyURL(tb testing.TB) string {
	tb.Helper()
	return pgtestdb.Custom(tb, config(tb), pgtestdb.NoopMigrator{}).URL()
}

// Context is a background context whose appends are recorded as the
// actor "test": the event store refuses events without one.
func Context() context.Context {
	return eventstore.WithActor(context.Background(), "test")
}
