package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// announcedKeyReason is recorded with a rotation the publisher announced.
const announcedKeyReason = "key_rotation announced in /federation-info"

// acceptAnnouncedKey rotates the source's key to the one its publisher
// announces in /federation-info, when the announcement verifies under the
// current key and the publisher then proves it holds the new key. It
// returns why an announcement was not followed ("" when there was none,
// it names a key the source has or had, or the key was rotated); the
// source then keeps its key.
func acceptAnnouncedKey(ctx context.Context, proof keyProof, keys SourcesByKey, s *domain.Source, info domain.PublisherInfo, now func() time.Time) string {
	st := s.State()
	a := info.KeyRotation
	if a == nil {
		return ""
	}
	if next, err := domain.ParsePublicKey(a.PublicKey); err == nil {
		if _, had := st.HadKey(next); had {
			return "" // already followed (or an admin rotated to it first)
		}
	}
	next, err := domain.VerifyKeyRotation(st, *a)
	if err != nil {
		return "key_rotation refused: " + err.Error()
	}
	candidate := st
	candidate.PublicKey = next
	if err := checkSharedKey(ctx, keys, candidate); err != nil {
		return "key_rotation refused: " + err.Error()
	}
	if reason, _ := proof.prove(ctx, st, next); reason != "" {
		return "key_rotation refused: the publisher did not prove it holds the announced key: " + reason
	}
	if err := s.RotateKey(st.PublicKey, next, domain.KeyByPublisher, string(st.ID), announcedKeyReason, now()); err != nil {
		return fmt.Sprintf("key_rotation refused: %v", err)
	}
	return ""
}
