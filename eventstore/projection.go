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

// BatchApplier is a projection that can apply many events at once (one
// statement for a run of similar events). The runner hands it a page and a
// rebuild a batch, through a transaction whose writes are pipelined; it
// must leave the read model exactly as Apply on each event in order would.
// When ApplyBatch fails, the events are applied again one by one with
// Apply, so a bad event is still found, retried and poisoned on its own.
type BatchApplier interface {
	ApplyBatch(ctx context.Context, tx pgx.Tx, events []Event) error
}
