package app

import (
	"context"
	"io"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// CreateKey issues an API key. The master key and admin keys may create
// keys; the secret is in the result once and nowhere else.
type CreateKey struct {
	Keys   KeyStore
	Random io.Reader
	Now    func() time.Time
}

type CreatedKey struct {
	Key         string
	ID          string
	Role        domain.Role
	Description string
	Created     time.Time
}

// Authorize: admin keys and the master key create keys.
func (h CreateKey) Authorize(by Principal) error { return requireAdmin(by) }

func (h CreateKey) Handle(ctx context.Context, by Principal, role domain.Role, description string) (CreatedKey, error) {
	if err := h.Authorize(by); err != nil {
		return CreatedKey{}, err
	}
	k, err := domain.IssueKey(h.Random, role, description)
	if err != nil {
		return CreatedKey{}, err
	}
	now := h.Now().UTC()
	err = h.Keys.Issue(ctx, domain.APIKeyIssued{KeyID: k.ID, Role: k.Role, Description: k.Description,
		Hash: k.Hash, IssuedBy: by.KeyID, At: now})
	if err != nil {
		return CreatedKey{}, err
	}
	return CreatedKey{Key: k.Secret, ID: k.ID, Role: k.Role, Description: k.Description, Created: now}, nil
}
