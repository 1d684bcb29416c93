package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// memBlobs is a blob store in memory that counts the bytes read from it.
type memBlobs struct {
	files map[string][]byte
	read  *int64
}

func (m memBlobs) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	b, ok := m.files[key]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", key, domain.ErrNotFound)
	}
	return io.NopCloser(countingReader{bytes.NewReader(b), m.read}), int64(len(b)), nil
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

func TestMeasureStoredCopy(t *testing.T) {
	content := []byte("the recorded bytes")
	sum := sha256.Sum256(content)
	recorded := StoredVersion{Plugin: "p", Version: "1.0.0", Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), BlobKey: "k"}
	corrupt := bytes.Clone(content)
	corrupt[3] ^= 0xff
	corruptSum := sha256.Sum256(corrupt)
	tests := []struct {
		name     string
		files    map[string][]byte
		want     domain.StoredCopyMeasure
		maxRead  int64
		canceled bool
	}{
		{"good", map[string][]byte{"k": content}, domain.StoredCopyMeasure{SHA256: recorded.SHA256, Size: recorded.Size}, recorded.Size, false},
		{"missing", map[string][]byte{}, domain.StoredCopyMeasure{Missing: true}, 0, false},
		{"same size, other bytes", map[string][]byte{"k": corrupt}, domain.StoredCopyMeasure{SHA256: hex.EncodeToString(corruptSum[:]), Size: recorded.Size}, recorded.Size, false},
		{"larger: not read", map[string][]byte{"k": make([]byte, 1<<20)}, domain.StoredCopyMeasure{Size: 1 << 20}, 0, false},
		{"job cancelled", map[string][]byte{"k": content}, domain.StoredCopyMeasure{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var read int64
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.canceled {
				cancel()
			}
			got, err := measureStoredCopy(ctx, memBlobs{tt.files, &read}, recorded)
			if tt.canceled != (err != nil) {
				t.Fatalf("err %v", err)
			}
			if got != tt.want || read > tt.maxRead {
				t.Fatalf("measured %+v after reading %d bytes, want %+v reading at most %d", got, read, tt.want, tt.maxRead)
			}
		})
	}
}
