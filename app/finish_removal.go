package app

import (
	"cmp"
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
	// Locker is the sync's: Sweep finishes a source only while no sync of
	// it runs, since a new incarnation stores files under the keys the
	// removed one's pending files have. RemoveSource holds it already.
	Locker SyncLocker
	// Timeout bounds one Sweep, so that a blob store that hangs cannot
	// stop every later sweep; 0 is DefaultSweepTimeout.
	Timeout time.Duration
	Now     func() time.Time
}

// DefaultSweepTimeout is a sweep's bound when none is configured.
const DefaultSweepTimeout = time.Minute

// UnfinishedRemovals lists removed sources with files still to delete or
// subscriptions still active.
type UnfinishedRemovals interface {
	UnfinishedRemovals(ctx context.Context) ([]domain.SourceID, error)
}

// Handle finishes the removal of one source and returns the source as it
// then stands. The caller holds the source's sync lock.
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

// Sweep finishes every unfinished removal, within Timeout; one that fails
// again, or whose source is busy syncing, is left for the next sweep.
func (h FinishRemoval) Sweep(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(h.Timeout, DefaultSweepTimeout))
	defer cancel()
	ids, err := h.Unfinished.UnfinishedRemovals(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := h.sweepOne(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("finish the removal of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// sweepOne finishes one removal under the source's sync lock. Handle
// loads the source only once it holds the lock, so the files it deletes
// are still the removed incarnation's: had another node finished them and
// the source been added again, it is no longer removed and nothing is
// deleted.
func (h FinishRemoval) sweepOne(ctx context.Context, id domain.SourceID) error {
	unlock, err := h.Locker.Lock(ctx, id)
	if errors.Is(err, ErrBusy) {
		return nil // a sync or removal runs: the next sweep comes back
	}
	if err != nil {
		return err
	}
	defer unlock()
	_, err = h.Handle(ctx, id)
	return err
}
