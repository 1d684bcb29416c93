package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"
)

// SyncLock serialises syncs of one source across every process on the
// database with a session advisory lock, held on its own connection for the
// length of the sync. If the process dies the connection closes and the
// lock goes with it.
type SyncLock struct{ Pool *pgxpool.Pool }

func (l SyncLock) Lock(ctx context.Context, source domain.SourceID) (func(), error) {
	conn, err := l.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock sync of %s: %w", source, err)
	}
	key := "pfn-sync:" + string(source)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, key); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock sync of %s: %w", source, err)
	}
	return func() {
		// A fresh context: the unlock must happen even when the sync's
		// context has ended.
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			conn.Conn().Close(context.Background()) // closing the session drops the lock
		}
		conn.Release()
	}, nil
}
