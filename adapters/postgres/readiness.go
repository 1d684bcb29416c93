// Package postgres holds the node's PostgreSQL adapters: connection set-up,
// readiness, and (in later issues) read-model repositories and projectors.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations"
)

// Readiness checks that the database answers, its schema is current and
// the read models are not far behind the log.
type Readiness struct {
	Pool *pgxpool.Pool
	// Lag, when set, fails readiness for a projection more than MaxLag
	// events behind (PFN_READY_MAX_LAG).
	Lag    func(ctx context.Context) (map[string]int64, error)
	MaxLag int64
}

// Ready returns nil when the node can serve.
func (r Readiness) Ready(ctx context.Context) error {
	if err := r.Pool.Ping(ctx); err != nil {
		return notReady{"database unavailable", fmt.Errorf("database unreachable: %w", err)}
	}
	n, err := migrations.Pending(ctx, r.Pool)
	if err != nil {
		return notReady{"database unavailable", fmt.Errorf("read schema version: %w", err)}
	}
	if n > 0 {
		msg := fmt.Sprintf("%d migrations not applied (run pfn migrate)", n)
		return notReady{msg, errors.New(msg)}
	}
	if r.Lag == nil {
		return nil
	}
	lags, err := r.Lag(ctx)
	if err != nil {
		return notReady{"database unavailable", fmt.Errorf("read projection lag: %w", err)}
	}
	for name, lag := range lags {
		if lag > r.MaxLag {
			return notReady{"projections behind", fmt.Errorf("projection %s is %d events behind (more than %d)", name, lag, r.MaxLag)}
		}
	}
	return nil
}

// notReady carries a generic reason for /readyz (anyone may ask) next to
// the details, which only the log gets.
type notReady struct {
	reason string
	err    error
}

func (e notReady) Error() string  { return e.err.Error() }
func (e notReady) Unwrap() error  { return e.err }
func (e notReady) Reason() string { return e.reason }
