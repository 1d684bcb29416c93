package blob_test

import (
	"context"
	"testing"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/internal/testservers"
)

// newBucketStore creates a bucket on srv and returns a store on it.
func newBucketStore(t *testing.T, srv *testservers.S3Server, bucket string) *blob.S3Store {
	t.Helper()
	srv.CreateBucket(t, bucket)
	store, err := blob.NewS3Store(context.Background(), blob.S3Config{Bucket: bucket, Endpoint: srv.Endpoint, AccessKey: srv.Access, SecretKey: srv.Secret})
	if err != nil {
		t.Fatal(err)
	}
	return store
}
