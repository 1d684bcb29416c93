package app

import (
	"context"
	"fmt"
	"io"

	"github.com/pfn-network/pfn/domain"
)

// AnnouncedKeys is what a sync needs to follow a key rotation its
// publisher announced: reading /federation-info, challenging the
// publisher, and the sources holding a key (one key, one host).
type AnnouncedKeys struct {
	Publisher Publisher
	Random    io.Reader
	Keys      SourcesByKey
}

// followKeyRotation runs before a sync judges the listing. A publisher
// re-signs its listing with its new key the moment it rotates; until the
// node follows the rotation (a health check or re-verification reads the
// announcement), every version it mirrored would look re-signed by an
// unknown key, and be recorded as tampering for good. So when the listing
// signs a mirrored version anew under a key the node does not know, the
// sync reads /federation-info and follows an announced rotation first,
// exactly as a health check would. It returns the source's state to sync
// with. A rotation the node refuses (recorded) leaves the key as it was
// and the sync judges the listing as ever; one that may yet pass (the
// publisher did not answer) fails the sync, to be tried again, rather than
// have a passing outage recorded as tampering.
func (h SyncSource) followKeyRotation(ctx context.Context, id domain.SourceID, st domain.SourceState, listed []ListedPlugin, histories map[string]*domain.PluginHistory) (domain.SourceState, error) {
	a := h.Announced
	if a.Publisher == nil || !signedUnderAnotherKey(st.PublicKey, listed, histories) {
		return st, nil
	}
	info, err := a.Publisher.FederationInfo(ctx, st.InstanceURL)
	if err != nil {
		return st, fmt.Errorf("sync of %s: mirrored versions are signed anew, and /federation-info, which would announce a key rotation, did not answer: %w: %w", id, err, domain.ErrPublisher)
	}
	if info.KeyRotation == nil {
		return st, nil
	}
	s, err := h.Sources.Load(ctx, id)
	if err != nil {
		return st, err
	}
	reason := acceptAnnouncedKey(ctx, keyProof{Publisher: a.Publisher, Random: a.Random}, a.Keys, s, info, h.Now)
	if len(s.Changes()) > 0 {
		if err := h.Sources.Save(ctx, s); err != nil {
			return st, fmt.Errorf("save key rotation of %s: %w", id, err)
		}
	}
	if reason != "" {
		return st, fmt.Errorf("sync of %s: mirrored versions are signed anew: %s: %w", id, reason, domain.ErrPublisher)
	}
	return s.State(), nil
}
