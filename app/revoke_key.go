package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// RevokeKey revokes an API key by id, or by the key itself (the original's
// clients send the key). Only admin keys may revoke; the master key only
// creates.
type RevokeKey struct {
	Keys KeyStore
	Now  func() time.Time
}

func (h RevokeKey) Handle(ctx context.Context, by Principal, keyOrID string) (KeyRecord, error) {
	if !by.IsAdmin() || by.Master {
		return KeyRecord{}, domain.ErrForbidden
	}
	id := keyOrID
	if k, err := domain.ParseKey(keyOrID); err == nil {
		id = k.ID
	}
	rec, err := h.Keys.Lookup(ctx, id)
	if err != nil {
		return KeyRecord{}, fmt.Errorf("key %q: %w", truncateID(id), err)
	}
	if rec.Revoked {
		return rec, nil
	}
	if err := h.Keys.Revoke(ctx, domain.APIKeyRevoked{KeyID: rec.ID, RevokedBy: by.KeyID, At: h.Now().UTC()}); err != nil {
		return KeyRecord{}, err
	}
	rec.Revoked = true
	return rec, nil
}

// truncateID keeps whatever a client sent out of messages beyond a short
// prefix: it may be a whole secret key.
func truncateID(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
