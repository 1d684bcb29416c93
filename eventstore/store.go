package eventstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what the store needs of PostgreSQL; *pgxpool.Pool and pgx.Tx both
// have it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store appends events to and reads them from the events table.
type Store struct {
	db  DB
	now func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock replaces the clock that stamps recorded_at (tests pin it).
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a store on db.
func New(db DB, opts ...Option) *Store {
	s := &Store{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}
