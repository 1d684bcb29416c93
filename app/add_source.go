package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// AddSource registers a publisher and then tries to prove its ownership at
// once, as the original did. The registration stands even when the proof
// fails: the source is kept with the reason. A publisher whose asset
// domain breaks the asset-host rule is refused before anything is stored.
type AddSource struct {
	Sources SourceRepository
	// Keys finds sources already registered with the key; nil skips the
	// shared-key check (only tests that do not exercise it leave it nil).
	Keys   SourcesByKey
	Verify VerifySource
	Now    func() time.Time
}

type AddSourceRequest struct {
	InstanceURL string
	Username    string
	PublicKey   string
	// AllowedAssetHosts are hosts the publisher's assetInfo.domain may be
	// on besides the instance's registrable domain.
	AllowedAssetHosts []string
	// AllowSharedKey lets the key be registered although a source on
	// another host already has it.
	AllowSharedKey bool
}

// Authorize: only admins register publishers.
func (h AddSource) Authorize(by Principal) error { return requireAdmin(by) }

func (h AddSource) Handle(ctx context.Context, by Principal, req AddSourceRequest) (VerifyResult, error) {
	if err := h.Authorize(by); err != nil {
		return VerifyResult{}, err
	}
	s, err := domain.RegisterSource(req.InstanceURL, req.Username, req.PublicKey, by.KeyID, h.Now())
	if err != nil {
		return VerifyResult{}, err
	}
	if err := s.AllowAssetHosts(req.AllowedAssetHosts, h.Now()); err != nil {
		return VerifyResult{}, err
	}
	if h.Keys != nil && !req.AllowSharedKey {
		if err := checkSharedKey(ctx, h.Keys, s.State()); err != nil {
			return VerifyResult{}, fmt.Errorf("source %s not added: %w", s.State().ID, err)
		}
	}
	// Asked once, for the check here and for the proof below. A publisher
	// that does not answer is registered with the reason, as before.
	info, infoErr := h.Verify.Publisher.FederationInfo(ctx, s.State().InstanceURL)
	if infoErr == nil {
		if err := s.CheckAssetHost(info); err != nil {
			return VerifyResult{}, fmt.Errorf("source %s not added: %w", s.State().ID, err)
		}
	}
	err = h.Sources.Save(ctx, s)
	if errors.Is(err, domain.ErrConflict) {
		s, err = h.addAgain(ctx, s.State(), req.AllowedAssetHosts)
	}
	if err != nil {
		return VerifyResult{}, err
	}
	return h.Verify.verify(ctx, s, &fetchedInfo{info: info, err: infoErr})
}

// addAgain registers a removed source's publisher as its next
// incarnation (fresh is the new registration); a source that is not
// removed is there already.
func (h AddSource) addAgain(ctx context.Context, fresh domain.SourceState, allowed []string) (*domain.Source, error) {
	var again *domain.Source
	err := h.Sources.Update(ctx, fresh.ID, func(s *domain.Source) error {
		if s.State().Status != domain.StatusRemoved {
			// Adding again is how one would naturally retry a failed proof.
			return fmt.Errorf("source %s is already registered: %w; to prove its ownership again, call POST /federation/verify-source with {\"sourceId\": %q}",
				fresh.ID, domain.ErrConflict, fresh.ID)
		}
		if err := s.Reregister(fresh, h.Now()); err != nil {
			return err
		}
		again = s
		return s.AllowAssetHosts(allowed, h.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("register source %s: %w", fresh.ID, err)
	}
	return again, nil
}
