package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// YankRequest names a mirrored version and why an admin pulls it (or puts
// it back).
type YankRequest struct {
	Source  domain.SourceID
	Plugin  string
	Version string
	Reason  string
}

// YankResult says what the yank or unyank did; Recorded is false when the
// version was already in the state asked for.
type YankResult struct {
	Source   domain.SourceID
	Plugin   string
	Version  string
	Yanked   bool
	Reason   string
	Recorded bool
}

// Yank pulls a mirrored version from service: downloads answer 410 with
// the reason, listings leave it out, and no later sync mirrors it again.
type Yank struct {
	Sources   SourceRepository
	Histories PluginHistories
	Now       func() time.Time
}

// Authorize: only admins yank.
func (h Yank) Authorize(by Principal) error { return requireAdmin(by) }

func (h Yank) Handle(ctx context.Context, by Principal, req YankRequest) (YankResult, error) {
	if err := h.Authorize(by); err != nil {
		return YankResult{}, err
	}
	return changeYank(ctx, h.Sources, h.Histories, req, func(ph *domain.PluginHistory) (bool, error) {
		return ph.Yank(req.Version, req.Reason, by.KeyID, h.Now())
	})
}

// changeYank loads the version's history, changes it and saves it with
// the source unchanged (a stale history is domain.ErrConflict, as a sync
// running at the same time would make it).
func changeYank(ctx context.Context, sources SourceRepository, histories PluginHistories, req YankRequest,
	change func(*domain.PluginHistory) (bool, error)) (YankResult, error) {
	if err := domain.ValidatePluginSlug(req.Plugin); err != nil {
		return YankResult{}, domain.InField("plugin", err)
	}
	s, err := sources.Load(ctx, req.Source)
	if err != nil {
		return YankResult{}, err
	}
	hs, err := histories.LoadAll(ctx, req.Source, []string{req.Plugin})
	if err != nil {
		return YankResult{}, fmt.Errorf("load %s/%s: %w", req.Source, req.Plugin, err)
	}
	ph := hs[req.Plugin]
	recorded, err := change(ph)
	if err != nil {
		return YankResult{}, err
	}
	if recorded {
		if err := histories.SaveAll(ctx, []*domain.PluginHistory{ph}, s); err != nil {
			return YankResult{}, fmt.Errorf("save %s/%s: %w", req.Source, req.Plugin, err)
		}
	}
	v, _ := ph.Mirrored(req.Version)
	return YankResult{Source: req.Source, Plugin: req.Plugin, Version: req.Version, Yanked: v.Yanked,
		Reason: v.YankReason, Recorded: recorded}, nil
}
