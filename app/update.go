package app

import (
	"context"
	"errors"

	"github.com/pfn-network/pfn/domain"
)

// UpdateAttempts is how many times UpdateAggregate loads, changes and saves
// before it gives up with the conflict. A conflict means another writer
// committed to the same stream in between (optimistic concurrency never
// fails for nobody), so N attempts succeed unless N other writes land on
// one stream during this one's load-change-save. 15 is what the most
// contended caller had: a subscribe whose first sync is scheduled wrapped
// the 3-attempt subscriber-count update in 5 attempts of its own (5 × 3)
// for subscribe storms on one source. The other callers had 3; they try
// longer only under such contention, where the alternative was an error.
// There is no backoff: none of the loops had one, and every retry starts
// from a fresh load that already shows the write that won.
const UpdateAttempts = 15

// UpdateAggregate loads an aggregate, runs change on it and saves it;
// when the save conflicts (domain.ErrConflict) it starts again from a
// fresh load. change may run more than once, each time on a freshly
// loaded aggregate, so it must do nothing but change that aggregate (and
// read): downloads, calls to peers and other side effects belong before
// it. It is the one conflict retry of the write side; repositories offer
// it as Update(ctx, id, change).
func UpdateAggregate[A any](ctx context.Context, load func(context.Context) (A, error), save func(context.Context, A) error, change func(A) error) error {
	var err error
	for range UpdateAttempts {
		if cerr := ctx.Err(); cerr != nil {
			return cerr // given up on: not a conflict to answer
		}
		var a A
		if a, err = load(ctx); err != nil {
			return err
		}
		if err = change(a); err != nil {
			return err
		}
		if err = save(ctx, a); !errors.Is(err, domain.ErrConflict) {
			return err
		}
	}
	return err
}
