package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// sourceStream is the event stream of one source.
func sourceStream(id domain.SourceID) string { return "source-" + string(id) }

// Waiter is what repositories need of the projection runner: to return only
// once a projection shows what they appended (read-your-writes).
type Waiter interface {
	WaitFor(ctx context.Context, projection string, pos eventstore.Position) error
}

// SourceRepository stores Source aggregates as event streams.
type SourceRepository struct {
	Store  *eventstore.Store
	Waiter Waiter
	// Pool, when set, keeps snapshots of long streams (source_snapshot.go).
	Pool *pgxpool.Pool
}

func (r SourceRepository) Load(ctx context.Context, id domain.SourceID) (*domain.Source, error) {
	snap, at, err := r.loadSnapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	stored, err := r.Store.LoadFrom(ctx, sourceStream(id), at)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 && at == 0 {
		return nil, fmt.Errorf("source %s: %w", id, domain.ErrNotFound)
	}
	history, err := eventstore.DecodeStream[domain.SourceEvent](stored)
	if err != nil {
		return nil, err
	}
	var s *domain.Source
	if at > 0 {
		s, err = domain.ResumeSource(snap, at, history)
	} else {
		s, err = domain.LoadSource(history)
	}
	if err != nil {
		return nil, err
	}
	if r.Pool != nil && len(history) >= snapshotEvery {
		// A failed snapshot only costs the next load time.
		_ = r.saveSnapshot(ctx, s.State(), s.Version())
	}
	return s, nil
}

func (r SourceRepository) Update(ctx context.Context, id domain.SourceID, change func(*domain.Source) error) error {
	load := func(ctx context.Context) (*domain.Source, error) { return r.Load(ctx, id) }
	return app.UpdateAggregate(ctx, load, r.Save, change)
}

func (r SourceRepository) Save(ctx context.Context, s *domain.Source) error {
	changes := s.Changes()
	if len(changes) == 0 {
		return nil
	}
	feedChanged := changesCatalog(nil, s)
	events, err := eventstore.EncodeAll(changes)
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
	feedShown := make(chan error, 1)
	go func() { feedShown <- waitForFeed(ctx, r.Waiter, feedChanged, res.Position) }()
	return errors.Join(r.Waiter.WaitFor(ctx, SourcesProjection, res.Position), <-feedShown)
}
