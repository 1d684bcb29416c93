package app

import (
	"context"

	"github.com/pfn-network/pfn/domain"
)

// SourceRepository loads and saves Source aggregates. Save appends the
// pending changes at the loaded version (a concurrent change is
// domain.ErrConflict) and returns once the read models show them.
type SourceRepository interface {
	Load(ctx context.Context, id domain.SourceID) (*domain.Source, error)
	Save(ctx context.Context, s *domain.Source) error
	// Update loads the source, changes it and saves it, again from a
	// fresh load on a conflict (UpdateAggregate).
	Update(ctx context.Context, id domain.SourceID, change func(*domain.Source) error) error
}

// Publisher is the node's view of a publisher's HTTP endpoints.
type Publisher interface {
	FederationInfo(ctx context.Context, instanceURL string) (domain.PublisherInfo, error)
	ProveOwnership(ctx context.Context, instanceURL, username, challenge string) (signature string, err error)
}
