package app

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

var _ SourceIDs = (*MemorySources)(nil)

// SourceIDsWithPrefix lists the stored sources' ids that start with
// prefix, sorted.
func (m *MemorySources) SourceIDsWithPrefix(_ context.Context, prefix string) ([]domain.SourceID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.SourceID
	for _, id := range slices.Sorted(maps.Keys(m.streams)) {
		if strings.HasPrefix(string(id), prefix) {
			out = append(out, id)
		}
	}
	return out, nil
}
