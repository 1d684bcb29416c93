package app

import (
	"context"

	"github.com/pfn-network/pfn/domain"
)

// SubscriptionRepository loads and saves subscriptions; Save returns once
// the subscriptions read model shows the change.
type SubscriptionRepository interface {
	Load(ctx context.Context, source domain.SourceID, subscriber string) (*domain.Subscription, error)
	Save(ctx context.Context, s *domain.Subscription) error
}

// SubscriptionView is a row of the subscriptions read model.
type SubscriptionView struct {
	ID         int64          `json:"id"`
	SourceID   string         `json:"source_id"`
	Subscriber string         `json:"subscriber"`
	Filters    domain.Filters `json:"filters"`
	CreatedAt  int64          `json:"created_at"`
}

// SubscriptionReader reads the subscriptions read model.
type SubscriptionReader interface {
	ActiveFilters(ctx context.Context, source domain.SourceID) ([]domain.Filters, error)
	ListSubscriptions(ctx context.Context, subscriber string) ([]SubscriptionView, error) // "" lists all
	CountSubscribers(ctx context.Context, source domain.SourceID) (int, error)
}
