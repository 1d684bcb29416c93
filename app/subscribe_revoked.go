package app

import (
	"context"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// A subscribe and a revocation of the same key can interleave: the key was
// authenticated at the start of the request, and the revocation lists the
// key's subscriptions from a read model. Each side checks after its own
// write, so that whichever commits second sees the other's:
//   - Subscribe reads the key's revocation from the event log itself after
//     its subscription is recorded, and ends the subscription if it finds one;
//   - RevokeKey waits, after recording the revocation, until the
//     subscriptions read model shows every event committed so far, then
//     lists the key's subscriptions.
// A subscription committed before the revocation is in that list; one
// committed after it finds the revocation in the log. Both may end it: the
// second End records nothing.

// KeyRevocations says whether a key is revoked, from the event log (a read
// model may not show a revocation that has just been committed).
type KeyRevocations interface {
	RevokedInLog(ctx context.Context, keyID string) (bool, error)
}

// ReadModelCatchUp waits until a read model shows every event committed
// before the call.
type ReadModelCatchUp interface {
	CatchUp(ctx context.Context) error
}

// endIfRevoked ends the subscription just recorded when its key was revoked
// meanwhile, and answers as authentication does for a revoked key.
func (h Subscribe) endIfRevoked(ctx context.Context, by Principal, id domain.SourceID) error {
	revoked, err := h.Revocations.RevokedInLog(ctx, by.KeyID)
	if err != nil {
		return fmt.Errorf("check key %s: %w", by.KeyID, err)
	}
	if !revoked {
		return nil
	}
	if err := endForRevokedKey(ctx, h.Subscriptions, h.Now, id, by.KeyID); err != nil {
		return fmt.Errorf("end the subscription of revoked key %s to %s: %w", by.KeyID, id, err)
	}
	if err := updateSubscriberCount(ctx, h.Sources, h.Reader, id, h.Now()); err != nil {
		return fmt.Errorf("subscriber count of %s: %w", id, err)
	}
	return fmt.Errorf("key %s was revoked: %w", by.KeyID, domain.ErrUnauthenticated)
}
