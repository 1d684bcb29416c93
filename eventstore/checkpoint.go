package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

// Checkpoint returns the position of the last event the projection applied
// (zero before its first).
func (r *Runner) Checkpoint(ctx context.Context, name string) (Position, error) {
	var pos Position
	err := r.pool.QueryRow(ctx, `SELECT last_processed_transaction_id, offset_acked
		FROM event_consumer_offsets WHERE consumer_group = $1`, name).Scan(&pos.TransactionID, &pos.GlobalPosition)
	if errors.Is(err, pgx.ErrNoRows) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, fmt.Errorf("checkpoint of %q: %w", name, err)
	}
	return pos, nil
}

func (r *Runner) pokeAll() {
	for _, w := range r.wakes {
		w.poke()
	}
}

// WaitFor returns once the projection has applied the event at pos, so that a
// read after a write sees the write. It gives up when ctx ends.
func (r *Runner) WaitFor(ctx context.Context, name string, pos Position) error {
	if _, ok := r.byName[name]; !ok {
		return fmt.Errorf("projection %q: %w", name, domain.ErrNotFound)
	}
	for i := 0; ; i++ {
		cp, err := r.Checkpoint(ctx, name)
		if err != nil {
			return err
		}
		if !cp.Less(pos) {
			// The other consumers catch up now, once the waiting request
			// no longer competes with them (the activity feed, say).
			if i > 0 {
				r.pokeAll()
			}
			return nil
		}
		r.wakes[name].poke()
		// A woken consumer usually commits within a few milliseconds: look
		// often at first (a request is waiting), then less often.
		wait := 2 * time.Millisecond
		if i < 20 {
			wait = 250 * time.Microsecond
		}
		if !sleep(ctx, wait) {
			return fmt.Errorf("projection %q waiting for %v (at %v): %w", name, pos, cp, ctx.Err())
		}
	}
}

// Replay makes a projection start again from position zero: its tables are
// emptied (Resetter), its poisoned-event records and checkpoint cleared, all
// in one transaction. A running consumer picks up from zero on its next batch.
func (r *Runner) Replay(ctx context.Context, name string) error {
	p, ok := r.byName[name]
	if !ok {
		return fmt.Errorf("projection %q: %w", name, domain.ErrNotFound)
	}
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		// Taking the checkpoint row's lock waits for a batch in flight.
		if _, err := tx.Exec(ctx, `INSERT INTO event_consumer_offsets (consumer_group) VALUES ($1)
			ON CONFLICT (consumer_group) DO UPDATE SET offset_acked = 0, last_processed_transaction_id = '0'`, name); err != nil {
			return fmt.Errorf("reset checkpoint of %q: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM poisoned_events WHERE consumer_group = $1`, name); err != nil {
			return fmt.Errorf("clear poisoned events of %q: %w", name, err)
		}
		if rs, ok := p.(Resetter); ok {
			if err := rs.Reset(ctx, tx); err != nil {
				return fmt.Errorf("reset %q: %w", name, err)
			}
		}
		return nil
	})
}
