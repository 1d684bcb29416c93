package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// UpdateSource refreshes a source's publisher info (protocol version,
// features, asset domain and naming scheme) from its /federation-info, and
// may first change the hosts its asset domain is allowed on.
//
// Given a public key, it first rotates the source's key to it, once the
// publisher has answered a challenge with it (update_source_key.go).
type UpdateSource struct {
	Sources   SourceRepository
	Publisher Publisher
	Random    io.Reader    // draws the challenge proving a new key
	Keys      SourcesByKey // sources already holding a new key
	Now       func() time.Time
}

// UpdateSourceRequest is what an admin asks of update-source.
type UpdateSourceRequest struct {
	ID domain.SourceID
	// AllowedAssetHosts, when not nil, replaces the source's allow-list of
	// asset hosts; an empty list withdraws every extra host.
	AllowedAssetHosts *[]string
	// PublicKey, when not "", is the source's new key; Reason says why.
	PublicKey string
	Reason    string
	// AllowSharedKey lets the new key be one a source on another host has.
	AllowSharedKey bool
}

// Authorize: only admins refresh sources.
func (h UpdateSource) Authorize(by Principal) error { return requireAdmin(by) }

func (h UpdateSource) Handle(ctx context.Context, by Principal, req UpdateSourceRequest) (domain.SourceState, error) {
	if err := h.Authorize(by); err != nil {
		return domain.SourceState{}, err
	}
	s, err := h.Sources.Load(ctx, req.ID)
	if err != nil {
		return domain.SourceState{}, err
	}
	// A suspended or removed source's publisher is not contacted at all.
	if err := s.Halted(); err != nil {
		return domain.SourceState{}, err
	}
	if req.PublicKey != "" {
		if err := h.rotateKey(ctx, by, s, req); err != nil {
			return domain.SourceState{}, err
		}
	}
	if req.AllowedAssetHosts != nil {
		if err := s.AllowAssetHosts(*req.AllowedAssetHosts, h.Now()); err != nil {
			return domain.SourceState{}, err
		}
	}
	info, err := h.Publisher.FederationInfo(ctx, s.State().InstanceURL)
	if err != nil {
		// The admin's change of the allow-list stands all the same.
		return domain.SourceState{}, errors.Join(fmt.Errorf("refresh %s: %w", req.ID, err), h.save(ctx, s))
	}
	if err := s.CheckAssetHost(info); err != nil {
		// Refused, and recorded: the source keeps the asset domain it had,
		// and the failure (with its reason) counts like any other.
		refused := fmt.Errorf("refresh %s: %w", req.ID, err)
		if rerr := s.RecordFailure(domain.FailureRefresh, "federation-info: "+err.Error(), h.Now()); rerr != nil {
			return domain.SourceState{}, errors.Join(refused, rerr)
		}
		return domain.SourceState{}, errors.Join(refused, h.save(ctx, s))
	}
	if err := s.RefreshInfo(info, h.Now()); err != nil {
		return domain.SourceState{}, err
	}
	if err := h.save(ctx, s); err != nil {
		return domain.SourceState{}, err
	}
	return s.State(), nil
}

func (h UpdateSource) save(ctx context.Context, s *domain.Source) error {
	if err := h.Sources.Save(ctx, s); err != nil {
		return fmt.Errorf("save %s: %w", s.State().ID, err)
	}
	return nil
}
