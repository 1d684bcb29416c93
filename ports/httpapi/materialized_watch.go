package httpapi

import (
	"context"
	"log/slog"
	"time"
)

// PositionFunc reads where what the cached answers are made of stands: an
// opaque token that changes whenever they may have changed (projection
// checkpoints, table identities, counters of tables written elsewhere).
type PositionFunc func(ctx context.Context) (string, error)

// Watch polls position every interval until ctx ends and starts a new
// generation whenever the token changes, so that a write by any process
// sharing the database ends this one's entries within an interval. While
// the position cannot be read every poll starts a new generation: nothing
// is served that the node cannot tell is current.
func (m *Materialized) Watch(ctx context.Context, position PositionFunc, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last, failing := "", false
	for {
		pollCtx, cancel := context.WithTimeout(ctx, max(interval*10, time.Second))
		pos, err := position(pollCtx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing && log != nil {
				log.Warn("catalogue position unreadable; answers are rendered afresh until it is", "err", err)
			}
			failing, last = true, ""
			m.Invalidate()
		case err == nil && pos != last:
			if failing && log != nil {
				log.Info("catalogue position readable again")
			}
			failing, last = false, pos
			m.Invalidate()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
