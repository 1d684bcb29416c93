package eventstore

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Projection turns events into a read model. Apply runs inside the consumer's
// batch transaction: its writes commit together with the projection's
// checkpoint, so a read model never runs ahead of or behind its position.
// Apply must be deterministic in the events it is given; a replay from zero
// runs the same function.
type Projection interface {
	// Name is the projection's consumer group and checkpoint key.
	Name() string
	Apply(ctx context.Context, tx pgx.Tx, e Event) error
}

// Resetter is implemented by projections whose tables must be emptied before
// a replay from position zero.
type Resetter interface {
	Reset(ctx context.Context, tx pgx.Tx) error
}
