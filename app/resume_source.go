package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// ResumeSource undoes a suspension (quarantined or not): the source
// returns to the status it had, and the scheduler plans its jobs again.
type ResumeSource struct {
	Sources SourceRepository
	Now     func() time.Time
}

// ResumeSourceRequest is what an admin asks of resume-source.
type ResumeSourceRequest struct {
	ID     domain.SourceID
	Reason string // optional
}

// Authorize: only admins resume sources.
func (h ResumeSource) Authorize(by Principal) error { return requireAdmin(by) }

func (h ResumeSource) Handle(ctx context.Context, by Principal, req ResumeSourceRequest) (domain.SourceState, error) {
	if err := h.Authorize(by); err != nil {
		return domain.SourceState{}, err
	}
	var st domain.SourceState
	err := h.Sources.Update(ctx, req.ID, func(s *domain.Source) error {
		if err := s.Resume(req.Reason, by.KeyID, h.Now()); err != nil {
			return err
		}
		st = s.State()
		return nil
	})
	if err != nil {
		return domain.SourceState{}, fmt.Errorf("resume %s: %w", req.ID, err)
	}
	return st, nil
}
