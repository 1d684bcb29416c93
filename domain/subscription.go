package domain

import (
	"fmt"
	"time"
)

// Subscription events: one stream per (source, subscriber).
const (
	EventSubscribed             = "subscription.subscribed"
	EventSubscriptionFiltersSet = "subscription.filters_changed"
	EventUnsubscribed           = "subscription.unsubscribed"
)

type Subscribed struct {
	SourceID   SourceID  `json:"source_id"`
	Subscriber string    `json:"subscriber"` // API key id
	Filters    Filters   `json:"filters"`
	At         time.Time `json:"at"`
}

type SubscriptionFiltersChanged struct {
	SourceID   SourceID  `json:"source_id"`
	Subscriber string    `json:"subscriber"`
	Filters    Filters   `json:"filters"`
	At         time.Time `json:"at"`
}

type Unsubscribed struct {
	SourceID   SourceID `json:"source_id"`
	Subscriber string   `json:"subscriber"`
	// Reason is why the node ended the subscription ("key revoked"); empty
	// when the subscriber ended it.
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// UnsubscribedKeyRevoked is the reason of an Unsubscribed recorded because
// the subscriber's API key was revoked.
const UnsubscribedKeyRevoked = "key revoked"

// SubscriptionEvent is one of the three above.
// Each names its own stored type, as every other aggregate's events do, so
// no encoder has to guess one.
type SubscriptionEvent interface {
	EventType() string
	subscriptionEvent() // sealed (events_sealed.go)
}

func (Subscribed) EventType() string                 { return EventSubscribed }
func (SubscriptionFiltersChanged) EventType() string { return EventSubscriptionFiltersSet }
func (Unsubscribed) EventType() string               { return EventUnsubscribed }

// Subscription is a consumer's interest in a source's plugins.
type Subscription struct {
	SourceID   SourceID
	Subscriber string
	active     bool
	filters    Filters
	Root[SubscriptionEvent]
}

// Active reports whether the subscription is on.
func (s *Subscription) Active() bool { return s.active }

// Filters are the subscription's filters while it is on.
func (s *Subscription) Filters() Filters { return s.filters }

// NewSubscription is the empty subscription of subscriber to source, to be
// loaded with its history (if any) and then changed.
func NewSubscription(source SourceID, subscriber string) *Subscription {
	return &Subscription{SourceID: source, Subscriber: subscriber}
}

// Load replays stored history.
func (s *Subscription) Load(history []SubscriptionEvent) {
	for _, e := range history {
		s.apply(e)
	}
	s.loadedAt(int64(len(history)))
}

// Subscribe starts the subscription or changes its filters; subscribing
// again with the same filters changes nothing. The source must be verified.
func (s *Subscription) Subscribe(source SourceState, f Filters, now time.Time) error {
	if source.ID != s.SourceID {
		return fmt.Errorf("subscription for %s given source %s", s.SourceID, source.ID)
	}
	if source.Status == StatusSuspended {
		return fmt.Errorf("source %s is suspended by an admin (%s); it cannot be subscribed to until resumed: %w",
			source.ID, source.Suspension.Reason, ErrConflict)
	}
	if source.Status != StatusVerified {
		return fmt.Errorf("source %s is %s; only verified sources can be subscribed to: %w", source.ID, source.Status, ErrConflict)
	}
	switch {
	case !s.active:
		s.record(Subscribed{SourceID: s.SourceID, Subscriber: s.Subscriber, Filters: f, At: now})
	case !s.filters.Equal(f):
		s.record(SubscriptionFiltersChanged{SourceID: s.SourceID, Subscriber: s.Subscriber, Filters: f, At: now})
	}
	return nil
}

// Unsubscribe ends an active subscription.
func (s *Subscription) Unsubscribe(now time.Time) error {
	if !s.active {
		return fmt.Errorf("no subscription to %s: %w", s.SourceID, ErrNotFound)
	}
	s.record(Unsubscribed{SourceID: s.SourceID, Subscriber: s.Subscriber, At: now})
	return nil
}

// End ends an active subscription for a reason of the node's (the key was
// revoked), not the subscriber's wish. Ending a subscription that is not
// active changes nothing, so ending every subscription of a key can be
// repeated.
func (s *Subscription) End(reason string, now time.Time) error {
	if reason == "" {
		return fmt.Errorf("ending a subscription needs a reason: %w", ErrInvalidInput)
	}
	if s.active {
		s.record(Unsubscribed{SourceID: s.SourceID, Subscriber: s.Subscriber, Reason: reason, At: now})
	}
	return nil
}

func (s *Subscription) record(e SubscriptionEvent) {
	s.apply(e)
	s.pend(e)
}

func (s *Subscription) apply(e SubscriptionEvent) {
	switch e := e.(type) {
	case Subscribed:
		s.active, s.filters = true, e.Filters
	case SubscriptionFiltersChanged:
		s.filters = e.Filters
	case Unsubscribed:
		s.active, s.filters = false, Filters{}
	}
}
