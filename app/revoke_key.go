package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// RevokeKey revokes an API key by id, or by the key itself (the original's
// clients send the key), and ends the key's subscriptions: a revoked
// consumer's interests must not keep driving syncs or the trust score's
// subscriber count. Only admin keys may revoke; the master key only
// creates.
type RevokeKey struct {
	Keys          KeyStore
	Sources       SourceRepository
	Subscriptions SubscriptionRepository
	Reader        SubscriptionReader
	// Shown is the subscriptions read model's catch-up: a subscription
	// committed before the revocation is listed (subscribe_revoked.go).
	Shown ReadModelCatchUp
	Now   func() time.Time
}

// Authorize: admin keys revoke; the master key only creates.
func (h RevokeKey) Authorize(by Principal) error {
	if by.Master {
		return domain.ErrForbidden
	}
	return requireAdmin(by)
}

func (h RevokeKey) Handle(ctx context.Context, by Principal, keyOrID string) (KeyRecord, error) {
	if err := h.Authorize(by); err != nil {
		return KeyRecord{}, err
	}
	id := keyOrID
	if k, err := domain.ParseKey(keyOrID); err == nil {
		id = k.ID
	}
	rec, err := h.Keys.Lookup(ctx, id)
	if err != nil {
		return KeyRecord{}, fmt.Errorf("key %q: %w", truncateID(id), err)
	}
	if !rec.Revoked {
		// Revoked first, so the key can start no new subscription while
		// its old ones are being ended.
		if err := h.Keys.Revoke(ctx, domain.APIKeyRevoked{KeyID: rec.ID, RevokedBy: by.KeyID, At: h.Now().UTC()}); err != nil {
			return KeyRecord{}, err
		}
		rec.Revoked = true
	}
	// Also for a key revoked before: what a revocation left (one revoked
	// before revocations ended subscriptions, or one cut short) is ended by
	// revoking again.
	if err := h.endSubscriptions(ctx, rec.ID); err != nil {
		return KeyRecord{}, fmt.Errorf("key %s is revoked, but ending its subscriptions failed (revoke it again): %w", rec.ID, err)
	}
	return rec, nil
}

// endSubscriptions records one Unsubscribed (reason "key revoked") per
// subscription of the key, then the new subscriber count of each source it
// left, so sources left without subscribers drop out of scheduled syncs.
func (h RevokeKey) endSubscriptions(ctx context.Context, keyID string) error {
	if keyID == "" {
		return nil // "" would list every key's subscriptions
	}
	if err := h.Shown.CatchUp(ctx); err != nil {
		return err
	}
	subs, err := h.Reader.ListSubscriptions(ctx, keyID)
	if err != nil {
		return err
	}
	for _, v := range subs {
		if v.Subscriber != keyID {
			continue
		}
		if err := h.end(ctx, domain.SourceID(v.SourceID), keyID); err != nil {
			return err
		}
		if err := updateSubscriberCount(ctx, h.Sources, h.Reader, domain.SourceID(v.SourceID), h.Now()); err != nil {
			return fmt.Errorf("subscriber count of %s: %w", v.SourceID, err)
		}
	}
	return nil
}

// end ends one subscription of the revoked key.
func (h RevokeKey) end(ctx context.Context, source domain.SourceID, keyID string) error {
	return endForRevokedKey(ctx, h.Subscriptions, h.Now, source, keyID)
}

// endForRevokedKey ends one subscription of a revoked key; a concurrent
// change to it (a filter change that slipped in before the revocation
// showed) is reloaded and ended too. One already ended records nothing.
func endForRevokedKey(ctx context.Context, subs SubscriptionRepository, now func() time.Time, source domain.SourceID, keyID string) error {
	return subs.Update(ctx, source, keyID, func(s *domain.Subscription) error {
		return s.End(domain.UnsubscribedKeyRevoked, now())
	})
}

// truncateID keeps whatever a client sent out of messages beyond a short
// prefix: it may be a whole secret key.
func truncateID(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
