package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Unsubscribe ends the calling key's subscription to a source.
type Unsubscribe struct {
	Sources       SourceRepository
	Subscriptions SubscriptionRepository
	Reader        SubscriptionReader
	Now           func() time.Time
}

func (h Unsubscribe) Handle(ctx context.Context, by Principal, id domain.SourceID) error {
	sub, err := h.Subscriptions.Load(ctx, id, by.KeyID)
	if err != nil {
		return err
	}
	if err := sub.Unsubscribe(h.Now()); err != nil {
		return err
	}
	if err := h.Subscriptions.Save(ctx, sub); err != nil {
		return err
	}
	return updateSubscriberCount(ctx, h.Sources, h.Reader, id, h.Now())
}
