package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// UpdateSource refreshes a source's publisher info (protocol version,
// features, asset domain and naming scheme) from its /federation-info.
type UpdateSource struct {
	Sources   SourceRepository
	Publisher Publisher
	Now       func() time.Time
}

func (h UpdateSource) Handle(ctx context.Context, by Principal, id domain.SourceID) (domain.SourceState, error) {
	if !by.IsAdmin() {
		return domain.SourceState{}, domain.ErrForbidden
	}
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return domain.SourceState{}, err
	}
	info, err := h.Publisher.FederationInfo(ctx, s.State().InstanceURL)
	if err != nil {
		return domain.SourceState{}, fmt.Errorf("refresh %s: %w", id, err)
	}
	if err := s.RefreshInfo(info, h.Now()); err != nil {
		return domain.SourceState{}, err
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return domain.SourceState{}, fmt.Errorf("save %s: %w", id, err)
	}
	return s.State(), nil
}
