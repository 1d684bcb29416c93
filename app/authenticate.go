package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// Authenticate turns a presented key into a principal.
type Authenticate struct {
	Keys      KeyStore
	MasterKey string // PFN_MASTER_KEY; empty disables it
}

func (h Authenticate) Handle(ctx context.Context, presented string) (Principal, error) {
	if presented == "" {
		return Principal{}, domain.ErrUnauthenticated
	}
	if domain.MatchesMaster(presented, h.MasterKey) {
		return Principal{KeyID: "master", Role: domain.RoleAdmin, Master: true}, nil
	}
	k, err := domain.ParseKey(presented)
	if err != nil {
		return Principal{}, domain.ErrUnauthenticated
	}
	rec, err := h.Keys.Lookup(ctx, k.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return Principal{}, domain.ErrUnauthenticated
	case err != nil:
		return Principal{}, fmt.Errorf("look up API key: %w", err)
	case rec.Revoked || rec.Role != k.Role || !k.Matches(rec.Hash):
		return Principal{}, domain.ErrUnauthenticated
	}
	return Principal{KeyID: rec.ID, Role: rec.Role}, nil
}
