package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// SuspendSource stops all work against a source: the scheduler plans no
// job for it (its status leaves verified/error) and every job refuses it
// (CanSync). With Quarantine its plugins also stop being served.
type SuspendSource struct {
	Sources SourceRepository
	Now     func() time.Time
}

// SuspendSourceRequest is what an admin asks of suspend-source.
type SuspendSourceRequest struct {
	ID         domain.SourceID
	Reason     string
	Quarantine bool
}

// Authorize: only admins suspend sources.
func (h SuspendSource) Authorize(by Principal) error { return requireAdmin(by) }

func (h SuspendSource) Handle(ctx context.Context, by Principal, req SuspendSourceRequest) (domain.SourceState, error) {
	if err := h.Authorize(by); err != nil {
		return domain.SourceState{}, err
	}
	var st domain.SourceState
	err := h.Sources.Update(ctx, req.ID, func(s *domain.Source) error {
		if err := s.Suspend(req.Reason, req.Quarantine, by.KeyID, h.Now()); err != nil {
			return err
		}
		st = s.State()
		return nil
	})
	if err != nil {
		return domain.SourceState{}, fmt.Errorf("suspend %s: %w", req.ID, err)
	}
	return st, nil
}
