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
	// Record appends like Save and returns at once, with a function that
	// waits until the read model shows the change (run it before answering).
	Record(ctx context.Context, s *domain.Subscription) (wait func(context.Context) error, err error)
	// Update loads the subscription, changes it and saves it, again from
	// a fresh load on a conflict (UpdateAggregate).
	Update(ctx context.Context, source domain.SourceID, subscriber string, change func(*domain.Subscription) error) error
}

// SubscriptionView is a row of the subscriptions read model.
type SubscriptionView struct {
	ID         int64
	SourceID   string
	Subscriber string
	Filters    domain.Filters
	CreatedAt  int64
}

// SubscriptionReader reads the subscriptions read model.
type SubscriptionReader interface {
	// ActiveFilters are the filters of each subscriber of a source.
	ActiveFilters(ctx context.Context, source domain.SourceID) (map[string]domain.Filters, error)
	ListSubscriptions(ctx context.Context, subscriber string) ([]SubscriptionView, error) // "" lists all
	CountSubscribers(ctx context.Context, source domain.SourceID) (int, error)
}

// ListSubscriptions answers GET /federation/subscriptions: the calling
// key's subscriptions. An admin key sees every subscription; that is a rule
// about what is read, so it lives here and not in the router.
type ListSubscriptions struct{ Reader SubscriptionReader }

func (h ListSubscriptions) Handle(ctx context.Context, by Principal) ([]SubscriptionView, error) {
	subscriber := by.KeyID
	if by.IsAdmin() {
		subscriber = ""
	}
	return h.Reader.ListSubscriptions(ctx, subscriber)
}
