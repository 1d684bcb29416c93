package postgres

import (
	"context"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// healthStream is the stream of one source's health checks, kept apart
// from the source's own stream (docs/health.md).
func healthStream(id domain.SourceID) string { return "health-" + string(id) }

// HealthRepository stores health records. Loading reads only the stream's
// last event: every check carries the running figures.
type HealthRepository struct{ Store *eventstore.Store }

func (r HealthRepository) Load(ctx context.Context, id domain.SourceID) (*domain.SourceHealth, error) {
	stream := healthStream(id)
	version, err := r.Store.Version(ctx, stream)
	if err != nil || version == 0 {
		return domain.LoadHealth(nil, 0), err
	}
	// A check appended between the two reads only adds events after the
	// last one we asked for; the newest read wins.
	events, err := r.Store.LoadFrom(ctx, stream, version-1)
	if err != nil {
		return nil, err
	}
	last := events[len(events)-1]
	c, err := eventstore.DecodeAs[domain.HealthChecked](last)
	if err != nil {
		return nil, err
	}
	return domain.LoadHealth(&c, last.StreamVersion), nil
}

func (r HealthRepository) Save(ctx context.Context, id domain.SourceID, h *domain.SourceHealth) error {
	if len(h.Changes()) == 0 {
		return nil
	}
	events, err := eventstore.EncodeAll(h.Changes())
	if err != nil {
		return err
	}
	if _, err := r.Store.Append(ctx, healthStream(id), h.Version(), events...); err != nil {
		return err
	}
	h.MarkSaved()
	return nil
}
