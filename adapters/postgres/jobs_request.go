package postgres

import (
	"context"
	"fmt"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// requestedSQL marks a job asked for out of turn: due before anything
// else. A claim turns it into an ordinary due time; a request made while
// the job runs outlives that run's Finish (jobs.go), because the run may
// have started before what asked for it.
const requestedSQL = `'-infinity'::timestamptz`

// RequestNow makes a job due at once, creating it when it is not planned
// yet (a source's first subscriber).
func (q Jobs) RequestNow(ctx context.Context, kind app.JobKind, source domain.SourceID) error {
	_, err := q.Pool.Exec(ctx, `INSERT INTO jobs (kind, source_id, due_at) VALUES ($1, $2, `+requestedSQL+`)
		ON CONFLICT (kind, source_id) DO UPDATE SET due_at = excluded.due_at`, string(kind), string(source))
	if err != nil {
		return fmt.Errorf("request %s of %s: %w", kind, source, err)
	}
	return nil
}
