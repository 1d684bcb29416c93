package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"
)

// SyncLock serialises syncs of one source across every process on the
// database with a session advisory lock, held on its own connection for the
// length of the sync. If the process dies the connection closes and the
// lock goes with it.
//
// The lock is only ever tried (pg_try_advisory_lock), never waited for: a
// caller that waited on the server would hold a pooled connection while
// the holder may need one more to finish, and enough such waiters empty
// the pool for good (docs/adr/0005-sync-locks-and-pool.md). app.SyncGate
// retries with backoff and holds nothing in between.
type SyncLock struct{ Pool *pgxpool.Pool }

// unlockTimeout bounds the unlock; past it the session is closed, which
// drops the lock as well.
const unlockTimeout = 5 * time.Second

func (l SyncLock) TryLock(ctx context.Context, source domain.SourceID) (func(), bool, error) {
	conn, err := l.Pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock sync of %s: %w", source, err)
	}
	key := "pfn-sync:" + string(source)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock sync of %s: %w", source, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		// A fresh context: the unlock must happen even when the sync's
		// context has ended; bounded, for a database that stopped answering.
		ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			conn.Conn().Close(context.Background()) // closing the session drops the lock
		}
		conn.Release()
	}, true, nil
}
