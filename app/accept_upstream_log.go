package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// AcceptUpstreamLog is an admin's POST /federation/accept-upstream-log:
// after the upstream's transparency log failed a consistency check, the
// admin trusts it again (a restored backup, a known rebuild). The fault
// and the trusted checkpoint go; the next sync pins the checkpoint the
// upstream serves then.
type AcceptUpstreamLog struct {
	Sources SourceRepository
	Now     func() time.Time
}

// AcceptUpstreamLogRequest is what an admin asks of accept-upstream-log.
type AcceptUpstreamLogRequest struct {
	ID     domain.SourceID
	Reason string
}

// Authorize: only admins accept an upstream's log.
func (h AcceptUpstreamLog) Authorize(by Principal) error { return requireAdmin(by) }

func (h AcceptUpstreamLog) Handle(ctx context.Context, by Principal, req AcceptUpstreamLogRequest) (domain.SourceState, error) {
	if err := h.Authorize(by); err != nil {
		return domain.SourceState{}, err
	}
	var st domain.SourceState
	err := h.Sources.Update(ctx, req.ID, func(s *domain.Source) error {
		if err := s.AcceptUpstreamLog(req.Reason, by.KeyID, h.Now()); err != nil {
			return err
		}
		st = s.State()
		return nil
	})
	if err != nil {
		return domain.SourceState{}, fmt.Errorf("accept the upstream log of %s: %w", req.ID, err)
	}
	return st, nil
}
