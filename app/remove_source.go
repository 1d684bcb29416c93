package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// RemoveSource takes a source off the node: its removal and the closing
// of every plugin history are one transaction; then FinishRemoval ends its
// subscriptions and deletes its files. Its events stay.
type RemoveSource struct {
	Sources   SourceRepository
	Histories PluginHistories
	Plugins   SourcePlugins
	Locker    SyncLocker // no sync of the source stores files meanwhile
	Finish    FinishRemoval
	Now       func() time.Time
	Log       *slog.Logger // nil: failures left to the sweep are not logged
}

// SourcePlugins lists every plugin of a source that has a history: one
// with versions kept, pruned or yanked, and one the publisher listed only
// in entries the node refused. A removal closes them all, so that nothing
// one reported carries into the next incarnation.
type SourcePlugins interface {
	PluginSlugs(ctx context.Context, source domain.SourceID) ([]string, error)
}

// RemoveSourceRequest is what an admin asks of remove-source.
type RemoveSourceRequest struct {
	ID     domain.SourceID
	Reason string
}

// Authorize: only admins remove sources.
func (h RemoveSource) Authorize(by Principal) error { return requireAdmin(by) }

func (h RemoveSource) Handle(ctx context.Context, by Principal, req RemoveSourceRequest) (domain.SourceState, error) {
	if err := h.Authorize(by); err != nil {
		return domain.SourceState{}, err
	}
	unlock, err := h.Locker.Lock(ctx, req.ID)
	if err != nil {
		return domain.SourceState{}, err
	}
	defer unlock()
	source, err := h.remove(ctx, by, req)
	if err != nil {
		return domain.SourceState{}, fmt.Errorf("remove %s: %w", req.ID, err)
	}
	// The removal is stored, so the answer is a success: what fails from
	// here on (a blob store that is down) the sweep finishes, and the
	// answer's files pending say so.
	st, err := h.Finish.Handle(ctx, source.State().ID)
	if err != nil {
		if h.Log != nil {
			h.Log.WarnContext(ctx, "source removed; finishing it is left to the sweep", "source", req.ID, "err", err)
		}
		return source.State(), nil
	}
	return st, nil
}

// remove records the removal and closes every plugin history of the
// source, all at once: a crash leaves either nothing or all of it.
func (h RemoveSource) remove(ctx context.Context, by Principal, req RemoveSourceRequest) (*domain.Source, error) {
	source, err := h.Sources.Load(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	slugs, err := h.Plugins.PluginSlugs(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	histories, err := h.Histories.LoadAll(ctx, req.ID, slugs)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	var keys []string
	var touched []*domain.PluginHistory
	for _, slug := range slugs {
		hist := histories[slug]
		keys = append(keys, hist.Forget(req.Reason, source.Incarnation(), now)...)
		touched = append(touched, hist)
	}
	slices.Sort(keys)
	if err := source.Remove(req.Reason, by.KeyID, keys, now); err != nil {
		return nil, err
	}
	if err := h.Histories.SaveAll(ctx, touched, source); err != nil {
		return nil, err
	}
	return source, nil
}
