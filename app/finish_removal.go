package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// FinishRemoval does what follows a stored removal: it ends the source's
// subscriptions (an event on each subscription's stream) and deletes the
// files the removal names, then records that they are deleted. Each step
// may be repeated, so RemoveSource runs it at once and Sweep runs it again
// for removals a crash or a failing store left unfinished.
type FinishRemoval struct {
	Sources       SourceRepository
	Subscriptions SubscriptionRepository
	Subscribers   SubscriptionReader
	Blobs         BlobStore
	Unfinished    UnfinishedRemovals
	Now           func() time.Time
}

// UnfinishedRemovals lists removed sources with files still to delete or
// subscriptions still active.
type UnfinishedRemovals interface {
	UnfinishedRemovals(ctx context.Context) ([]domain.SourceID, error)
}

// Handle finishes the removal of one source and returns the source as it
// then stands.
func (h FinishRemoval) Handle(ctx context.Context, id domain.SourceID) (domain.SourceState, error) {
	source, err := h.Sources.Load(ctx, id)
	if err != nil {
		return domain.SourceState{}, err
	}
	st := source.State()
	if st.Status != domain.StatusRemoved {
		return st, nil
	}
	if err := h.endSubscriptions(ctx, id, st.Removal.Reason); err != nil {
		return st, fmt.Errorf("end subscriptions: %w", err)
	}
	for _, key := range source.PendingFiles() {
		if err := h.Blobs.Delete(ctx, key); err != nil {
			return st, fmt.Errorf("delete files: %w", err)
		}
	}
	err = h.Sources.Update(ctx, id, func(s *domain.Source) error {
		s.RecordFilesDeleted(h.Now())
		st = s.State()
		return nil
	})
	return st, err
}

func (h FinishRemoval) endSubscriptions(ctx context.Context, id domain.SourceID, reason string) error {
	subscribers, err := h.Subscribers.ActiveFilters(ctx, id)
	if err != nil {
		return err
	}
	why := "source removed: " + reason
	for subscriber := range subscribers {
		err := h.Subscriptions.Update(ctx, id, subscriber, func(s *domain.Subscription) error { return s.End(why, h.Now()) })
		if err != nil {
			return err
		}
	}
	return nil
}

// Sweep finishes every unfinished removal; one that fails again is left
// for the next sweep.
func (h FinishRemoval) Sweep(ctx context.Context) error {
	ids, err := h.Unfinished.UnfinishedRemovals(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if _, err := h.Handle(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("finish the removal of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
