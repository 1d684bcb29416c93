package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Taking the live tables' locks for the swap. LOCK TABLE takes them one
// after another, and a reader's single statement over two of them (a
// join, a NOT EXISTS) takes its own in the planner's order: each can hold
// one the other waits for. PostgreSQL then aborts one of the two after
// deadlock_timeout (1 s), and it chose the swap (seen in
// TestRebuildBesideALiveNodeIsIdentical). So the swap waits a short while
// for all of them at once, and on a timeout lets go of what it took (a
// savepoint) so the reader can finish, then tries again.
const (
	swapLockWait     = 200 * time.Millisecond // below deadlock_timeout's default 1 s
	swapLockAttempts = 50                     // ~10 s of readers in the way at most
)

func lockLiveTables(ctx context.Context, tx pgx.Tx, live []string) error {
	stmt := `LOCK TABLE ` + strings.Join(live, ", ") + ` IN ACCESS EXCLUSIVE MODE`
	if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, swapLockWait.Milliseconds())); err != nil {
		return err
	}
	var err error
	for attempt := 0; attempt < swapLockAttempts; attempt++ {
		if _, err = tx.Exec(ctx, `SAVEPOINT swap_locks`); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, stmt); err == nil {
			break
		}
		if !lockConflict(err) {
			return err
		}
		// Rolling back to the savepoint releases the locks taken since.
		if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT swap_locks`); rerr != nil {
			return rerr
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("still blocked after %d attempts: %w", swapLockAttempts, err)
	}
	// The rest of the swap waits for nothing; no reason to time it out.
	_, err = tx.Exec(ctx, `SET LOCAL lock_timeout = 0`)
	return err
}

// lockConflict: lock_timeout ran out (55P03) or PostgreSQL picked this
// transaction to break a deadlock (40P01).
func lockConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01")
}
