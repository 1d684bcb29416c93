package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// Waiter is what repositories need of the projection runner: to return only
// once a projection shows what they appended (read-your-writes).
type Waiter interface {
	WaitFor(ctx context.Context, projection string, pos eventstore.Position) error
}

// SourceRepository stores Source aggregates as event streams.
type SourceRepository struct {
	Store  *eventstore.Store
	Waiter Waiter
}

func (r SourceRepository) Load(ctx context.Context, id domain.SourceID) (*domain.Source, error) {
	stored, err := r.Store.Load(ctx, sourceStream(id))
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return nil, fmt.Errorf("source %s: %w", id, domain.ErrNotFound)
	}
	history := make([]domain.SourceEvent, 0, len(stored))
	for _, e := range stored {
		de, ok, err := decodeSourceEvent(e)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("source %s: unknown event type %q in its stream", id, e.Type)
		}
		history = append(history, de)
	}
	return domain.LoadSource(history)
}

func (r SourceRepository) Save(ctx context.Context, s *domain.Source) error {
	changes := s.Changes()
	if len(changes) == 0 {
		return nil
	}
	events, err := encodeSourceEvents(changes)
	if err != nil {
		return err
	}
	id := s.State().ID
	res, err := r.Store.Append(ctx, sourceStream(id), s.Version(), events...)
	var conflict *eventstore.ConflictError
	if errors.As(err, &conflict) && s.Version() == 0 {
		return fmt.Errorf("source %s is already registered: %w", id, domain.ErrConflict)
	}
	if err != nil {
		return err
	}
	s.MarkSaved()
	return r.Waiter.WaitFor(ctx, SourcesProjection, res.Position)
}
