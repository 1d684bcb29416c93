package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// HealthRepository stores the health records of sources (their own
// streams, apart from the sources').
type HealthRepository interface {
	Load(ctx context.Context, id domain.SourceID) (*domain.SourceHealth, error)
	Save(ctx context.Context, id domain.SourceID, h *domain.SourceHealth) error
}

// CheckHealth asks a publisher for its /federation-info and records how it
// went: always in the health stream, in the source's stream when it
// matters (a summary, a failure, a recovery).
type CheckHealth struct {
	Sources   SourceRepository
	Health    HealthRepository
	Publisher Publisher
	Metrics   Metrics
	// Random draws the challenge proving a key the publisher announces;
	// Keys finds the sources already holding it.
	Random io.Reader
	Keys   SourcesByKey
	Now    func() time.Time
}

func (h CheckHealth) Run(ctx context.Context, id domain.SourceID) error {
	source, err := h.Sources.Load(ctx, id)
	if err != nil {
		return err
	}
	if st := source.State().Status; st != domain.StatusVerified && st != domain.StatusError {
		return nil // pending, failed or suspended sources are not watched
	}
	record, err := h.Health.Load(ctx, id)
	if err != nil {
		return err
	}
	start := time.Now()
	info, callErr := h.Publisher.FederationInfo(ctx, source.State().InstanceURL)
	took := time.Since(start)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not the publisher's fault
	}
	errText := ""
	if callErr != nil {
		errText = callErr.Error()
	}
	check, err := record.Check(source.State().CreatedAt, callErr == nil, took.Milliseconds(), errText, h.Now())
	if err != nil {
		return err
	}
	if err := h.Health.Save(ctx, id, record); err != nil {
		return fmt.Errorf("save health check of %s: %w", id, err)
	}
	h.Metrics.HealthChecked(id, callErr == nil, took)
	if err := h.Sources.Update(ctx, id, func(s *domain.Source) error { return s.ObserveHealth(check) }); err != nil {
		return err
	}
	if callErr != nil {
		return fmt.Errorf("health check of %s: %w", id, callErr)
	}
	return h.followKeyRotation(ctx, id, info)
}
