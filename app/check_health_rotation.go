package app

import (
	"context"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// followKeyRotation acts on a key the publisher announced in the
// /federation-info a health check just read: proven and taken; refused
// and recorded once (not an error: retrying would only challenge the
// publisher again for a key the node will not take); or left with the
// reason it was not followed yet (an error, so the job tries again).
func (h CheckHealth) followKeyRotation(ctx context.Context, id domain.SourceID, info domain.PublisherInfo) error {
	if info.KeyRotation == nil {
		return nil
	}
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return err
	}
	if st := s.State().Status; st != domain.StatusVerified && st != domain.StatusError {
		return nil
	}
	proof := keyProof{Publisher: h.Publisher, Random: h.Random}
	if reason := acceptAnnouncedKey(ctx, proof, h.Keys, s, info, h.Now); reason != "" {
		return fmt.Errorf("health check of %s: %s: %w", id, reason, domain.ErrPublisher)
	}
	if len(s.Changes()) == 0 {
		return nil
	}
	if err := h.Sources.Save(ctx, s); err != nil {
		return fmt.Errorf("save key rotation of %s: %w", id, err)
	}
	return nil
}
