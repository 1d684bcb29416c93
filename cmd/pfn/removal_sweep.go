package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pfn-network/pfn/eventstore"
)

// runRemovalSweep finishes unfinished removals (a crash between a
// removal's events and its files' deletion, a blob store that was down)
// at start and every PFN_REMOVAL_SWEEP_INTERVAL, until the returned stop is
// called: a removed source's file stays at most about that long after the
// store is back. The interval also bounds each pass (FinishRemoval.Timeout),
// so a store that hangs fails that pass and the next starts on time. Every node runs it: finishing is idempotent, so two nodes on one
// database at most delete the same file twice.
func (n *node) runRemovalSweep(ctx context.Context, log *slog.Logger) (stop func()) {
	return background(eventstore.WithActor(ctx, actorNode), func(ctx context.Context) {
		tick := time.NewTicker(n.sweepEvery)
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
