package app

import (
	"context"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// rotateKey makes the key an admin gives the source's key, once the
// publisher proved it holds it. A failed proof returns before anything
// changed: nothing is recorded, so a mistyped key costs the source
// nothing (no failure, no lost verification). What the domain refuses
// without the proof (no reason) is refused before the
// publisher is challenged.
func (h UpdateSource) rotateKey(ctx context.Context, by Principal, s *domain.Source, req UpdateSourceRequest) error {
	st := s.State()
	if _, err := domain.CheckAdminReason(req.Reason, "key rotation"); err != nil {
		return err
	}
	next, err := domain.ParsePublicKey(req.PublicKey)
	if err != nil {
		return domain.InField("public_key", err)
	}
	if next.Equal(st.PublicKey) {
		return domain.InField("public_key", fmt.Errorf("public key %s is the source's key already: %w", domain.KeyID(next), domain.ErrInvalidInput))
	}
	if !req.AllowSharedKey {
		candidate := st
		candidate.PublicKey = next
		if err := checkSharedKey(ctx, h.Keys, candidate); err != nil {
			return err
		}
	}
	proof := keyProof{Publisher: h.Publisher, Random: h.Random}
	if reason, disproved := proof.prove(ctx, st, next); reason != "" {
		kind := domain.ErrPublisher
		if disproved {
			kind = domain.ErrConflict
		}
		return fmt.Errorf("the publisher did not prove it holds the new key, so nothing changed: %s: %w", reason, kind)
	}
	if err := s.RotateKey(st.PublicKey, next, domain.KeyByAdmin, by.KeyID, req.Reason, h.Now()); err != nil {
		return err
	}
	// The answered challenge is an ownership proof like any other.
	return s.RecordOwnershipProof(true, "", h.Now())
}
