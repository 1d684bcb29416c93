package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// ErrStorage marks a sync that failed on the node's own blob store: a full
// disk, an S3 server gone. Nothing the publisher did, so no plugin is
// refused for it and the source's failure policy does not count it.
var ErrStorage = errors.New("blob store failed")

// storeFailure classifies a failed Put of body: a storage failure unless
// the download failed or the content was refused (more than maxBytes, a
// bad key). body is the budget's reader, which also counts what was read
// and remembers the publisher's side's error.
func storeFailure(body *budgetReader, maxBytes int64, err error) error {
	if body.err != nil || body.read > maxBytes || errors.Is(err, domain.ErrInvalidInput) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStorage, err)
}

// abortOnStorageFailure ends a sync in which the blob store failed: the
// files this sync did store are deleted (no event will point at them), the
// failure is recorded on the source as its last sync error, and the sync
// answers an error. It returns nil when no download met a storage failure.
func (h SyncSource) abortOnStorageFailure(ctx context.Context, id domain.SourceID, todo []*download, failed error) error {
	if failed == nil {
		for _, d := range todo {
			if errors.Is(d.err, ErrStorage) {
				failed = d.err
				break
			}
		}
	}
	if failed == nil {
		return nil
	}
	h.deleteStored(ctx, todo)
	err := fmt.Errorf("sync of %s: %w", id, failed)
	if ctx.Err() == nil {
		if rerr := h.Sources.Update(ctx, id, func(s *domain.Source) error {
			return s.RecordFailure(domain.FailureStorage, failed.Error(), h.Now())
		}); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// cleanupTimeout bounds the deletion of a failed sync's files: the store
// may be gone, and a file left behind is only space (the next sync of the
// same version writes the same key again).
const cleanupTimeout = 5 * time.Second

// deleteStored deletes, best effort and all at once, what a failed sync
// stored.
func (h SyncSource) deleteStored(ctx context.Context, todo []*download) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, d := range todo {
		if d.err == nil {
			wg.Go(func() { _ = h.Blobs.Delete(ctx, d.key) })
		}
	}
	wg.Wait()
}
