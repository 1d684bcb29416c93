package blob

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/pfn-network/pfn/domain"
)

// Store is what both blob stores offer.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error)
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
	Stat(ctx context.Context, key string) (Info, error)
	Delete(ctx context.Context, key string) error
	// PutUnsynced stores without waiting for durability; Sync of its key
	// then guarantees it. A batch of puts costs one round of flushes.
	PutUnsynced(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error)
	Sync(ctx context.Context, keys []string) error
}

// DefaultDir is where blobs go when PFN_BLOB_STORE is unset.
const DefaultDir = "./data/blobs"

// Open reads PFN_BLOB_STORE: empty (DefaultDir), a path, file:///path, or
// s3://bucket?endpoint=URL&region=REGION[&ec2metadata=true].
func Open(ctx context.Context, spec string) (Store, error) {
	switch {
	case spec == "":
		return NewFileStore(DefaultDir)
	case strings.HasPrefix(spec, "file://"):
		return NewFileStore(strings.TrimPrefix(spec, "file://"))
	case strings.HasPrefix(spec, "s3://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("PFN_BLOB_STORE %q: want s3://bucket?endpoint=...&region=...: %w", spec, domain.ErrInvalidInput)
		}
		q := u.Query()
		return NewS3Store(ctx, S3Config{Bucket: u.Host, Endpoint: q.Get("endpoint"), Region: q.Get("region"),
			EC2Metadata: q.Get("ec2metadata") == "true"})
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("PFN_BLOB_STORE %q: want a path, file:// or s3://: %w", spec, domain.ErrInvalidInput)
	default:
		return NewFileStore(spec)
	}
}
