package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// RevokedInLog reads the key's own stream: a revocation committed a moment
// ago is there before the api_keys read model shows it.
func (k KeyStore) RevokedInLog(ctx context.Context, id string) (bool, error) {
	events, err := k.Store.Load(ctx, keyStream(id))
	if err != nil {
		return false, fmt.Errorf("key %s: %w", id, err)
	}
	// Decoded, not matched by name: a key stream holding a type the
	// registry does not know is an error, not "not revoked".
	decoded, err := eventstore.DecodeStream[domain.APIKeyEvent](events)
	if err != nil {
		return false, fmt.Errorf("key %s: %w", id, err)
	}
	for _, e := range decoded {
		if _, ok := e.(domain.APIKeyRevoked); ok {
			return true, nil
		}
	}
	return false, nil
}

// CatchUp waits until one read model has applied every event committed
// before the call: the log's last event in commit order, which the
// projection reaches only once every transaction before it has ended.
type CatchUp struct {
	Pool       *pgxpool.Pool
	Waiter     Waiter
	Projection string
}

func (c CatchUp) CatchUp(ctx context.Context) error {
	var last eventstore.Position
	// Walks the primary key (transaction_id, global_position) backwards.
	// Unlike the consumers' head it does not stop at the oldest running
	// transaction: every committed event counts.
	err := c.Pool.QueryRow(ctx, `SELECT transaction_id, global_position FROM events
		ORDER BY transaction_id DESC, global_position DESC LIMIT 1`).Scan(&last.TransactionID, &last.GlobalPosition)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("last event: %w", err)
	}
	return c.Waiter.WaitFor(ctx, c.Projection, last)
}
