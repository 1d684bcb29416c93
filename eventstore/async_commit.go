package eventstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// asyncCommitPool begins the consumers' transactions with
// synchronous_commit off. Those transactions hold only derived data (a
// read model and its checkpoint, together) and, because watermill-sql locks
// the checkpoint row FOR UPDATE, even an empty poll writes a commit record:
// waiting for each to reach the disk made every poll an fsync. After a crash
// the last moments of projection progress may be lost, consistently, and are
// replayed from the log, whose appends stay synchronous.
type asyncCommitPool struct {
	*pgxpool.Pool
}

func (p asyncCommitPool) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := p.Pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("consumer transaction: %w", err)
	}
	return tx, nil
}
