package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Subscribe subscribes the calling key to a verified source (or changes its
// filters) and runs the first sync, answering with its result. A first
// sync that cannot start promptly (another sync of the source is running,
// or every sync slot is taken) is not waited for: the subscription is
// recorded all the same, and the source's sync job is made due at once.
type Subscribe struct {
	Sources       SourceRepository
	Subscriptions SubscriptionRepository
	Reader        SubscriptionReader
	// Sync runs the first sync; its Locker's wait is how long the
	// subscriber waits for it to start.
	Sync SyncSource
	Jobs JobRequests
	// Revocations is read after the subscription is recorded: a key
	// revoked since the request was authenticated ends it at once
	// (subscribe_revoked.go).
	Revocations KeyRevocations
	// SyncTimeout (PFN_JOB_TIMEOUT) is the first sync's deadline.
	SyncTimeout time.Duration
	Now         func() time.Time
}

// JobRequests asks for a scheduled job to run out of turn.
type JobRequests interface {
	RequestNow(ctx context.Context, kind JobKind, source domain.SourceID) error
}

// SubscribeResult is the first sync's result, as the original's syncResult
// had it: success says whether it ran to the end now, scheduled that it
// could not start and runs on the schedule.
type SubscribeResult struct {
	SyncResult
	Success   bool
	Scheduled bool
	Message   string // for a person
}

func (h Subscribe) Handle(ctx context.Context, by Principal, id domain.SourceID, rawFilters []byte) (SubscribeResult, error) {
	// Filters are checked before anything is read or written.
	filters, err := domain.ParseFilters(rawFilters)
	if err != nil {
		return SubscribeResult{}, domain.InField("filters", err)
	}
	source, err := h.Sources.Load(ctx, id)
	if err != nil {
		return SubscribeResult{}, err
	}
	sub, err := h.Subscriptions.Load(ctx, id, by.KeyID)
	if err != nil {
		return SubscribeResult{}, err
	}
	if err := sub.Subscribe(source.State(), filters, h.Now()); err != nil {
		return SubscribeResult{}, err
	}
	shown, err := h.Subscriptions.Record(ctx, sub)
	if err != nil {
		return SubscribeResult{}, fmt.Errorf("save subscription: %w", err)
	}
	if err := h.endIfRevoked(ctx, by, id); err != nil {
		return SubscribeResult{}, err
	}
	// The sync takes this subscriber's filters as given and records the new
	// subscriber count with its summary; the subscriptions read model
	// catches up meanwhile, and the answer waits for it.
	subscriptionShown := make(chan error, 1)
	go func() { subscriptionShown <- shown(ctx) }()
	syncCtx, cancel := syncWithin(ctx, h.SyncTimeout)
	result, err := h.Sync.RunFor(syncCtx, id, by.KeyID, &filters)
	cancel()
	shownErr := <-subscriptionShown
	if errors.Is(err, ErrBusy) || ranOutOfTime(ctx, err) {
		if shownErr != nil {
			return SubscribeResult{}, shownErr
		}
		if err := h.scheduleFirstSync(ctx, id); err != nil {
			return SubscribeResult{}, err
		}
		return SubscribeResult{SyncResult: SyncResult{SourceID: string(id), Rejected: []Rejection{}}, Scheduled: true,
			Message: "Subscribed. The first sync could not run to the end now (" + err.Error() + "); it is scheduled and runs shortly."}, nil
	}
	if err == nil {
		err = shownErr
	}
	if err != nil {
		return SubscribeResult{}, err
	}
	return SubscribeResult{SyncResult: result, Success: true,
		Message: fmt.Sprintf("Subscribed. Mirrored %d new of %d listed.", result.MirroredCount, result.TotalPlugins)}, nil
}

// scheduleFirstSync leaves the first sync to the scheduler. The source's
// subscriber count is what makes the scheduler plan its syncs, and the
// sync that would have recorded it did not run: record it here first.
func (h Subscribe) scheduleFirstSync(ctx context.Context, id domain.SourceID) error {
	if err := updateSubscriberCount(ctx, h.Sources, h.Reader, id, h.Now()); err != nil {
		return fmt.Errorf("record the subscriber count of %s: %w", id, err)
	}
	return h.Jobs.RequestNow(ctx, JobSync, id)
}

// updateSubscriberCount feeds the trust score the number of subscribers.
// A health check, a sync or another subscriber may write the source's
// stream meanwhile; every attempt counts again after its load, so the
// count saved is never older than the source it is saved on.
func updateSubscriberCount(ctx context.Context, sources SourceRepository, reader SubscriptionReader, id domain.SourceID, now time.Time) error {
	return sources.Update(ctx, id, func(s *domain.Source) error {
		n, err := reader.CountSubscribers(ctx, id)
		if err != nil {
			return err
		}
		s.SetSubscriberCount(n, now)
		return nil
	})
}
