package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// applier applies events to projections inside a caller's transaction. The
// live runner (a page of the log) and the rebuild (a batch) both use it, so
// a read model comes out the same whichever way it was filled.
type applier struct {
	log *slog.Logger
	// pipeline is how many statements go to the server in one round trip.
	pipeline int
	// attempts and retryDelay are the runner's retry policy for an event
	// that fails on its own (RunnerConfig).
	attempts   int
	retryDelay time.Duration
	// poisoned is the table an event that keeps failing is recorded in; it
	// commits with the caller's transaction, so with the checkpoint that
	// skips the event.
	poisoned string
}

func (r *Runner) applier(log *slog.Logger, pipeline int, poisoned string) applier {
	return applier{log: log, pipeline: pipeline, attempts: r.cfg.Attempts, retryDelay: r.cfg.RetryDelay, poisoned: poisoned}
}

// apply applies events to every target, pipelined: batch appliers take the
// whole batch at once, the others event by event. Statements are not
// answered one by one (pipelineTx), so a failure is only known later; the
// batch then rolls back to its savepoint, the events before the failing one
// are applied again pipelined, and the failing one under a savepoint with
// the retry policy, recorded as poisoned if it keeps failing.
func (a applier) apply(ctx context.Context, tx pgx.Tx, targets []Projection, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	// Which event a batch applier failed on is unknown: all of it goes
	// event by event below.
	if err := a.applyBatches(ctx, tx, targets, events); err == nil {
		return nil
	} else if ctx.Err() != nil {
		return err
	} else {
		a.log.Warn("a batch of events failed; applying them one at a time", "first_position", events[0].GlobalPosition,
			"last_position", events[len(events)-1].GlobalPosition, "err", err)
	}
	for len(events) > 0 {
		failed, err := a.applyPipelined(ctx, tx, targets, events)
		if err == nil {
			return nil
		}
		if failed < 0 || ctx.Err() != nil {
			return err
		}
		a.log.Warn("an event failed; applying it on its own", "event_id", events[failed].ID,
			"event_type", events[failed].Type, "global_position", events[failed].GlobalPosition, "err", err)
		if failed > 0 {
			if _, err := a.applyPipelined(ctx, tx, targets, events[:failed]); err != nil {
				return err
			}
		}
		for _, p := range targets {
			if err := a.applyCarefully(ctx, tx, p, events[failed]); err != nil {
				return err
			}
		}
		events = events[failed+1:]
	}
	return nil
}

// applyBatches applies events under a savepoint, pipelined: batch appliers
// with one ApplyBatch, the others event by event.
func (a applier) applyBatches(ctx context.Context, tx pgx.Tx, targets []Projection, events []Event) error {
	return pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		var single []Projection
		for _, p := range targets {
			b, ok := p.(BatchApplier)
			if !ok {
				single = append(single, p)
				continue
			}
			pt := newPipelineTx(sp, a.pipeline)
			err := b.ApplyBatch(ctx, pt, events)
			if ferr := pt.flush(ctx); err == nil {
				err = ferr
			}
			_ = pt.wait()
			if err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
		if len(single) == 0 {
			return nil
		}
		_, err := a.applyPipelined(ctx, sp, single, events)
		return err
	})
}

// applyPipelined applies events under a savepoint; on failure it rolls back
// to the savepoint and returns the index of the event that failed (-1 when
// the failure was not an event's).
func (a applier) applyPipelined(ctx context.Context, tx pgx.Tx, targets []Projection, events []Event) (int, error) {
	failed := -1
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		pt := newPipelineTx(sp, a.pipeline)
		for i, e := range events {
			pt.current = i
			for _, p := range targets {
				if err := p.Apply(ctx, pt, e); err != nil {
					// An earlier statement still in flight may be the
					// first failure.
					if werr := pt.wait(); werr != nil {
						err = werr
					}
					if failed = failedEvent(err); failed < 0 {
						failed = i
					}
					return err
				}
			}
		}
		err := pt.flush(ctx)
		failed = failedEvent(err)
		return err
	})
	if err != nil {
		return failed, err
	}
	return -1, nil
}

// applyCarefully applies one event under a savepoint, retrying with backoff;
// after the last attempt it records the event as poisoned (in the same
// transaction, so the record commits with the checkpoint that skips it).
func (a applier) applyCarefully(ctx context.Context, tx pgx.Tx, p Projection, e Event) error {
	var err error
	attempts := 1
	delay := a.retryDelay
	for ; ; attempts++ {
		err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { return p.Apply(ctx, sp, e) })
		if err == nil {
			return nil
		}
		if unreadable(err) {
			// Not this event's fault but this build's: poisoning it would
			// move the checkpoint (shared by every node on the database)
			// past an event that a newer node can apply. The page is left
			// unapplied; the consumer stops and tries again.
			return fmt.Errorf("projection %s cannot read event %s at %s (this build is older than the log: upgrade it): %w",
				p.Name(), e.ID, e.StreamID, err)
		}
		if attempts >= a.attempts && unskippable(p) {
			return fmt.Errorf("projection %s cannot apply event %s at %s after %d attempts and never skips one: it stops there until the cause is fixed: %w",
				p.Name(), e.ID, e.StreamID, attempts, err)
		}
		if attempts >= a.attempts {
			break
		}
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay *= 2
	}
	_, insErr := tx.Exec(ctx, `INSERT INTO `+a.poisoned+`
		(consumer_group, global_position, transaction_id, event_id, event_type, error, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		p.Name(), e.GlobalPosition, e.TransactionID, e.ID, e.Type, err.Error(), attempts)
	if insErr != nil {
		return fmt.Errorf("record poisoned event %s: %w", e.ID, insErr)
	}
	a.log.Error("projection skipped a poisoned event", "projection", p.Name(),
		"event_id", e.ID, "event_type", e.Type, "stream_id", e.StreamID,
		"global_position", e.GlobalPosition, "attempts", attempts, "err", err)
	return nil
}

// Unskippable is implemented by a projection whose read model is wrong for
// good once an event is passed over, such as the transparency log: a leaf
// skipped live but applied by a later rebuild would move every later
// index and root. An event it cannot apply after the retries stops its
// consumer (which tries the page again later) instead of being poisoned,
// so the projection lags visibly (pfn projections status) until the
// cause is fixed, and never skips.
type Unskippable interface {
	Unskippable()
}

func unskippable(p Projection) bool {
	_, ok := p.(Unskippable)
	return ok
}

// unreadable reports an event this build does not know how to decode: a
// type it has no registration for, or a schema version newer than its own.
func unreadable(err error) bool {
	return errors.Is(err, ErrUnknownEventType) || errors.Is(err, ErrNewerEventSchema)
}
