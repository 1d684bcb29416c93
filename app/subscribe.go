package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Subscribe subscribes the calling key to a verified source (or changes its
// filters) and runs the first sync, answering with its result.
type Subscribe struct {
	Sources       SourceRepository
	Subscriptions SubscriptionRepository
	Reader        SubscriptionReader
	Sync          SyncSource
	Now           func() time.Time
}

func (h Subscribe) Handle(ctx context.Context, by Principal, id domain.SourceID, rawFilters []byte) (SyncResult, error) {
	// Filters are checked before anything is read or written.
	filters, err := domain.ParseFilters(rawFilters)
	if err != nil {
		return SyncResult{}, err
	}
	source, err := h.Sources.Load(ctx, id)
	if err != nil {
		return SyncResult{}, err
	}
	sub, err := h.Subscriptions.Load(ctx, id, by.KeyID)
	if err != nil {
		return SyncResult{}, err
	}
	if err := sub.Subscribe(source.State(), filters, h.Now()); err != nil {
		return SyncResult{}, err
	}
	shown, err := h.Subscriptions.Record(ctx, sub)
	if err != nil {
		return SyncResult{}, fmt.Errorf("save subscription: %w", err)
	}
	// The sync takes this subscriber's filters as given and records the new
	// subscriber count with its summary; the subscriptions read model
	// catches up meanwhile, and the answer waits for it.
	subscriptionShown := make(chan error, 1)
	go func() { subscriptionShown <- shown(ctx) }()
	result, err := h.Sync.RunFor(ctx, id, by.KeyID, &filters)
	if shownErr := <-subscriptionShown; err == nil {
		err = shownErr
	}
	return result, err
}

// updateSubscriberCount feeds the trust score the number of subscribers.
func updateSubscriberCount(ctx context.Context, sources SourceRepository, reader SubscriptionReader, id domain.SourceID, now time.Time) error {
	n, err := reader.CountSubscribers(ctx, id)
	if err != nil {
		return err
	}
	source, err := sources.Load(ctx, id)
	if err != nil {
		return err
	}
	// A health check or sync may write the source's stream meanwhile.
	return observe(ctx, sources, id, source, func(s *domain.Source) error {
		s.SetSubscriberCount(n, now)
		return nil
	})
}
