package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/pfn-network/pfn/domain"
)

var (
	_ BlobStore  = (*MemoryBlobs)(nil)
	_ BlobOpener = (*MemoryBlobs)(nil)
)

// MemoryBlobs is a blob store in memory. Like the file store, Put measures
// what it stores and keeps nothing of content past maxBytes, a key is
// durable only once synced, and deleting a missing key is no error.
type MemoryBlobs struct {
	mu      sync.Mutex
	files   map[string][]byte
	durable map[string]bool
}

func (m *MemoryBlobs) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (StoredBlob, error) {
	if key == "" {
		return StoredBlob{}, fmt.Errorf("blob key is empty: %w", domain.ErrInvalidInput)
	}
	content, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return StoredBlob{}, fmt.Errorf("put %s: %w", key, err)
	}
	if int64(len(content)) > maxBytes {
		return StoredBlob{}, fmt.Errorf("put %s: more than %d bytes", key, maxBytes)
	}
	m.set(key, content, false)
	sum := sha256.Sum256(content)
	return StoredBlob{Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// Set stores content under key as durable, as if a sync had stored it (or
// someone changed the file behind the node's back).
func (m *MemoryBlobs) Set(key string, content []byte) { m.set(key, content, true) }

func (m *MemoryBlobs) set(key string, content []byte, durable bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files, m.durable = map[string][]byte{}, map[string]bool{}
	}
	m.files[key] = bytes.Clone(content)
	m.durable[key] = durable
}

// Sync makes stored keys durable; a key never stored is an error.
func (m *MemoryBlobs) Sync(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if _, ok := m.files[k]; !ok {
			return fmt.Errorf("sync %s: %w", k, domain.ErrNotFound)
		}
	}
	for _, k := range keys {
		m.durable[k] = true
	}
	return nil
}

func (m *MemoryBlobs) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, key)
	delete(m.durable, key)
	return nil
}

func (m *MemoryBlobs) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	content, ok := m.Content(key)
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", key, domain.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(content)), int64(len(content)), nil
}

// Content is what key holds, and whether it holds anything.
func (m *MemoryBlobs) Content(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	content, ok := m.files[key]
	return bytes.Clone(content), ok
}

// Durable says whether key is stored and synced.
func (m *MemoryBlobs) Durable(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.durable[key]
}

// Keys are the stored keys, sorted.
func (m *MemoryBlobs) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.files))
}
