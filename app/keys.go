package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// KeyRecord is a stored API key: its hash, never the key.
type KeyRecord struct {
	ID          string
	Role        domain.Role
	Description string
	Hash        string
	CreatedAt   time.Time
	Revoked     bool
}

// KeyStore keeps API keys as events and reads them from their read model.
// Issue and Revoke return once Lookup shows the change.
type KeyStore interface {
	Issue(ctx context.Context, e domain.APIKeyIssued) error
	Revoke(ctx context.Context, e domain.APIKeyRevoked) error
	Lookup(ctx context.Context, id string) (KeyRecord, error) // domain.ErrNotFound when absent
}
