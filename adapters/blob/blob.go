// Package blob stores plugin files: on the local filesystem (the default)
// or in an S3-compatible bucket. Both stream what they store while computing
// its SHA-256 and size, refuse more than a caller's cap, and never leave a
// partial object under the requested key.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Info describes a stored object.
type Info struct {
	Key    string
	Size   int64
	SHA256 string // hex; empty from Stat on stores that do not keep it
}

var (
	// ErrNotFound: no object under that key.
	ErrNotFound = fmt.Errorf("blob %w", domain.ErrNotFound)
	// ErrTooLarge: the content exceeded the cap; nothing was stored.
	ErrTooLarge = errors.New("blob larger than allowed")
)

// maxKeyLength keeps keys well inside S3's 1024-byte limit and path limits.
const maxKeyLength = 512

// checkKey accepts slash-separated keys of safe segments: no empty, "." or
// ".." segment, no leading slash, no backslash or control characters. Keys
// are built by the node from validated ids, so anything else is a bug or an
// attack.
func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLength {
		return fmt.Errorf("blob key %q: empty or longer than %d bytes: %w", key, maxKeyLength, domain.ErrInvalidInput)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("blob key %q: empty or dot segment: %w", key, domain.ErrInvalidInput)
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("blob key %q: control character or backslash: %w", key, domain.ErrInvalidInput)
		}
	}
	return nil
}

// meter counts and hashes what passes through it and fails once more than
// limit bytes have passed.
type meter struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
}

func newMeter(r io.Reader, limit int64) *meter {
	return &meter{r: r, h: sha256.New(), limit: limit}
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	m.h.Write(p[:n])
	if m.n > m.limit {
		return n, fmt.Errorf("more than %d bytes: %w", m.limit, ErrTooLarge)
	}
	return n, err
}

func (m *meter) info(key string) Info {
	return Info{Key: key, Size: m.n, SHA256: hex.EncodeToString(m.h.Sum(nil))}
}
