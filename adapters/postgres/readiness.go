// Package postgres holds the node's PostgreSQL adapters: connection set-up,
// readiness, and (in later issues) read-model repositories and projectors.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/migrations"
)

// Readiness checks that the database answers and its schema is current.
type Readiness struct {
	Pool *pgxpool.Pool
}

// Ready returns nil when the node can serve.
func (r Readiness) Ready(ctx context.Context) error {
	if err := r.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	n, err := migrations.Pending(ctx, r.Pool)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%d migrations not applied (run pfn migrate)", n)
	}
	return nil
}
