package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// AddSource registers a publisher and then tries to prove its ownership at
// once, as the original did. The registration stands even when the proof
// fails: the source is kept with the reason.
type AddSource struct {
	Sources SourceRepository
	Verify  VerifySource
	Now     func() time.Time
}

type AddSourceRequest struct {
	InstanceURL string
	Username    string
	PublicKey   string
}

func (h AddSource) Handle(ctx context.Context, by Principal, req AddSourceRequest) (VerifyResult, error) {
	if !by.IsAdmin() {
		return VerifyResult{}, domain.ErrForbidden
	}
	s, err := domain.RegisterSource(req.InstanceURL, req.Username, req.PublicKey, by.KeyID, h.Now())
	if err != nil {
		return VerifyResult{}, err
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return VerifyResult{}, fmt.Errorf("register source %s: %w", s.State().ID, err)
	}
	return h.Verify.Handle(ctx, by, s.State().ID)
}
