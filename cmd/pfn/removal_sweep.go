package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pfn-network/pfn/eventstore"
)

// removalSweepEach is how often the node finishes removals left
// unfinished (a crash between a removal's events and its files' deletion,
// a blob store that was down): a file of a removed source stays at most
// about this long after the store is back. It runs once at start too.
// It also bounds each pass (FinishRemoval.Timeout): a store that hangs
// fails that pass, and the next one starts on time.
const removalSweepEach = time.Minute

// runRemovalSweep finishes unfinished removals until the returned stop is
// called. Every node runs it: finishing is idempotent, so two nodes on one
// database at most delete the same file twice.
func (n *node) runRemovalSweep(ctx context.Context, log *slog.Logger) (stop func()) {
	return background(eventstore.WithActor(ctx, actorNode), func(ctx context.Context) {
		tick := time.NewTicker(removalSweepEach)
		defer tick.Stop()
		for {
			if err := n.removals.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Error("finishing removed sources failed; tried again later", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}
