package app

import (
	"context"
	"fmt"
)

var _ FileValidator = (*MemoryCatalog)(nil)

// Announce makes the file at url name sha256 when asked about it (a
// publisher's X-Content-SHA256 or ETag), whatever it serves; "" names
// nothing, as for a url never announced (an original publisher's answer).
func (m *MemoryCatalog) Announce(url, sha256 string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.announced == nil {
		m.announced = map[string]string{}
	}
	m.announced[url] = sha256
}

// Validations are the URLs asked about, in order.
func (m *MemoryCatalog) Validations() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.validations...)
}

// Validate answers what url announces; a url that fails its downloads
// fails this too.
func (m *MemoryCatalog) Validate(ctx context.Context, url, sha256 string) (FileValidation, error) {
	if err := ctx.Err(); err != nil {
		return FileValidation{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.validations = append(m.validations, url)
	if err := m.failures[url]; err != nil {
		return FileValidation{}, fmt.Errorf("HEAD %s: %w", url, err)
	}
	return FileValidation{SHA256: m.announced[url]}, nil
}
