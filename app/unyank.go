package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Unyank puts a yanked version back in service.
type Unyank struct {
	Sources   SourceRepository
	Histories PluginHistories
	Now       func() time.Time
}

// Authorize: only admins unyank.
func (h Unyank) Authorize(by Principal) error { return requireAdmin(by) }

func (h Unyank) Handle(ctx context.Context, by Principal, req YankRequest) (YankResult, error) {
	if err := h.Authorize(by); err != nil {
		return YankResult{}, err
	}
	return changeYank(ctx, h.Sources, h.Histories, req, func(ph *domain.PluginHistory) (bool, error) {
		return ph.Unyank(req.Version, req.Reason, by.KeyID, h.Now())
	})
}
