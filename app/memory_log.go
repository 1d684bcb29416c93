package app

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
)

var _ LogReader = (*MemoryLog)(nil)

// MemoryLog is a transparency log in memory, for tests: each entry
// appended stores its hashes as tlog.StoredHashes numbers them, as the
// projection does in PostgreSQL.
type MemoryLog struct {
	mu      sync.Mutex
	entries []LogEntry
	hashes  []tlog.Hash
}

// Append logs e at the next index (e.Index is ignored) and returns it.
func (m *MemoryLog) Append(e LogEntry) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int64(len(m.entries))
	hashes, err := tlog.StoredHashes(n, e.Statement, tlog.HashReaderFunc(m.readHashes))
	if err != nil {
		return 0, err
	}
	e.Index = n
	m.entries = append(m.entries, e)
	m.hashes = append(m.hashes, hashes...)
	return n, nil
}

func (m *MemoryLog) LogSize(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.entries)), nil
}

func (m *MemoryLog) ReadLogHashes(_ context.Context, indexes []int64) ([]tlog.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.readHashes(indexes)
}

// readHashes is ReadLogHashes with m.mu held.
func (m *MemoryLog) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("stored hash %d: the log holds %d", x, len(m.hashes))
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *MemoryLog) LogEntries(_ context.Context, start, end int64) ([]LogEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if start < 0 || end < start || end > int64(len(m.entries)) {
		return nil, fmt.Errorf("log entries [%d, %d): the log holds %d", start, end, len(m.entries))
	}
	return append([]LogEntry(nil), m.entries[start:end]...), nil
}

func (m *MemoryLog) LatestLogEntry(_ context.Context, source domain.SourceID, plugin, version string) (LogEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.entries) - 1; i >= 0; i-- {
		if e := m.entries[i]; e.Source == source && e.Plugin == plugin && e.Version == version {
			return e, nil
		}
	}
	return LogEntry{}, fmt.Errorf("%s %s of source %s is not in the log: %w", plugin, version, source, domain.ErrNotFound)
}
