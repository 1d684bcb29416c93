package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// SubscriptionsProjection is the name of the subscriptions read model.
const SubscriptionsProjection = "subscriptions"

func subscriptionStream(source domain.SourceID, subscriber string) string {
	return "subscription-" + string(source) + "/" + subscriber
}

// SubscriptionRepository stores subscriptions as event streams.
type SubscriptionRepository struct {
	Store  *eventstore.Store
	Waiter Waiter
}

func (r SubscriptionRepository) Load(ctx context.Context, source domain.SourceID, subscriber string) (*domain.Subscription, error) {
	stored, err := r.Store.Load(ctx, subscriptionStream(source, subscriber))
	if err != nil {
		return nil, err
	}
	history, err := eventstore.DecodeStream[domain.SubscriptionEvent](stored)
	if err != nil {
		return nil, err
	}
	s := domain.NewSubscription(source, subscriber)
	s.Load(history)
	return s, nil
}

func (r SubscriptionRepository) Update(ctx context.Context, source domain.SourceID, subscriber string, change func(*domain.Subscription) error) error {
	load := func(ctx context.Context) (*domain.Subscription, error) { return r.Load(ctx, source, subscriber) }
	return app.UpdateAggregate(ctx, load, r.Save, change)
}

func (r SubscriptionRepository) Save(ctx context.Context, s *domain.Subscription) error {
	wait, err := r.Record(ctx, s)
	if err != nil {
		return err
	}
	return wait(ctx)
}

func (r SubscriptionRepository) Record(ctx context.Context, s *domain.Subscription) (func(context.Context) error, error) {
	if len(s.Changes()) == 0 {
		return func(context.Context) error { return nil }, nil
	}
	events, err := eventstore.EncodeAll(s.Changes())
	if err != nil {
		return nil, err
	}
	res, err := r.Store.Append(ctx, subscriptionStream(s.SourceID, s.Subscriber), s.Version(), events...)
	if err != nil {
		return nil, err
	}
	s.MarkSaved()
	return func(ctx context.Context) error { return r.Waiter.WaitFor(ctx, SubscriptionsProjection, res.Position) }, nil
}

// SubscriptionProjection keeps the subscriptions table.
type SubscriptionProjection struct{}

func (SubscriptionProjection) Name() string { return SubscriptionsProjection }

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (SubscriptionProjection) Tables() []string { return []string{"subscriptions"} }

func (SubscriptionProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE subscriptions`)
	return err
}

func (SubscriptionProjection) Apply(ctx context.Context, tx pgx.Tx, stored eventstore.Event) error {
	if !strings.HasPrefix(stored.StreamID, "subscription-") {
		return nil // another aggregate's event
	}
	e, err := eventstore.DecodeAs[domain.SubscriptionEvent](stored)
	if err != nil {
		return err
	}
	switch e := e.(type) {
	case domain.Subscribed:
		f, _ := json.Marshal(e.Filters)
		_, err = tx.Exec(ctx, `INSERT INTO subscriptions (source_id, subscriber, filters, created_at, updated_at)
			VALUES ($1, $2, $3, extract(epoch FROM $4::timestamptz)::bigint, $4)
			ON CONFLICT (source_id, subscriber) DO UPDATE SET filters = excluded.filters, updated_at = excluded.updated_at`,
			string(e.SourceID), e.Subscriber, string(f), e.At)
	case domain.SubscriptionFiltersChanged:
		f, _ := json.Marshal(e.Filters)
		_, err = tx.Exec(ctx, `UPDATE subscriptions SET filters = $3, updated_at = $4 WHERE source_id = $1 AND subscriber = $2`,
			string(e.SourceID), e.Subscriber, string(f), e.At)
	case domain.Unsubscribed:
		_, err = tx.Exec(ctx, `DELETE FROM subscriptions WHERE source_id = $1 AND subscriber = $2`, string(e.SourceID), e.Subscriber)
	}
	if err != nil {
		return fmt.Errorf("project %s: %w", stored.Type, err)
	}
	return nil
}

// notRevoked keeps the subscriptions (aliased s) of keys not revoked: a
// subscription the revocation has not ended yet (one racing it, or one a
// revocation cut short left) neither drives syncs nor counts as a
// subscriber. The master key has no api_keys row and is never revoked.
const notRevoked = `NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = s.subscriber AND k.revoked_at IS NOT NULL)`

// SubscriptionReader reads the subscriptions table.
type SubscriptionReader struct{ Pool *pgxpool.Pool }

func (r SubscriptionReader) ActiveFilters(ctx context.Context, source domain.SourceID) (map[string]domain.Filters, error) {
	rows, err := r.Pool.Query(ctx, `SELECT s.subscriber, s.filters FROM subscriptions s
		WHERE s.source_id = $1 AND `+notRevoked, string(source))
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", source, err)
	}
	defer rows.Close()
	out := map[string]domain.Filters{}
	for rows.Next() {
		var subscriber string
		var f domain.Filters
		if err := rows.Scan(&subscriber, &f); err != nil {
			return nil, fmt.Errorf("subscriptions of %s: %w", source, err)
		}
		out[subscriber] = f
	}
	return out, rows.Err()
}

func (r SubscriptionReader) ListSubscriptions(ctx context.Context, subscriber string) ([]app.SubscriptionView, error) {
	rows, err := r.Pool.Query(ctx, `SELECT id, source_id, subscriber, filters, created_at FROM subscriptions
		WHERE subscriber = $1 OR $1 = '' ORDER BY id`, subscriber)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[app.SubscriptionView])
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	if out == nil {
		out = []app.SubscriptionView{}
	}
	return out, nil
}

func (r SubscriptionReader) CountSubscribers(ctx context.Context, source domain.SourceID) (int, error) {
	var n int
	err := r.Pool.QueryRow(ctx, `SELECT count(*) FROM subscriptions s WHERE s.source_id = $1 AND `+notRevoked, string(source)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count subscribers of %s: %w", source, err)
	}
	return n, nil
}
