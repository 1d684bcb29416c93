package app_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// brokenBlobs is the blob store of a full disk: Put of failPut fails, or
// Sync does.
type brokenBlobs struct {
	*app.MemoryBlobs
	failPut  string // a key whose Put fails
	failSync bool
}

var (
	errDiskFull      = errors.New("no space left on device")
	errPublisherDown = errors.New("503 Service Unavailable")
)

func (b brokenBlobs) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (app.StoredBlob, error) {
	if key == b.failPut {
		return app.StoredBlob{}, errDiskFull
	}
	return b.MemoryBlobs.Put(ctx, key, r, maxBytes)
}

func (b brokenBlobs) Sync(ctx context.Context, keys []string) error {
	if b.failSync {
		return errDiskFull
	}
	return b.MemoryBlobs.Sync(ctx, keys)
}

// syncFailure is one row of TestSyncSourceFailures.
type syncFailure struct {
	name        string
	setup       func(t *testing.T, w *mirrorWorld)
	wantErr     error
	failure     string // the kind of failure recorded on the source, if one is
	subscribers int    // the source's count after the sync
}

var syncFailures = []syncFailure{
	{name: "the listing cannot be read", failure: domain.FailureSync, wantErr: errPublisherDown,
		setup: func(t *testing.T, w *mirrorWorld) {
			w.catalog.FailListing(instance, "author", errPublisherDown)
		}},
	{name: "a file cannot be stored", failure: domain.FailureStorage, wantErr: app.ErrStorage,
		setup: func(t *testing.T, w *mirrorWorld) {
			w.sync.Blobs = brokenBlobs{MemoryBlobs: w.blobs, failPut: "plugins/" + string(w.id) + "/bravo@1.0.0.zip"}
		}},
	{name: "the files cannot be made durable", failure: domain.FailureStorage, wantErr: app.ErrStorage,
		setup: func(t *testing.T, w *mirrorWorld) {
			w.sync.Blobs = brokenBlobs{MemoryBlobs: w.blobs, failSync: true}
		}},
	{name: "the source is not verified", wantErr: domain.ErrConflict,
		setup: func(t *testing.T, w *mirrorWorld) {
			if err := w.sources.Update(t.Context(), w.id, func(s *domain.Source) error {
				return s.RecordOwnershipProof(false, "key changed", t0)
			}); err != nil {
				t.Fatal(err)
			}
		}},
	{name: "another sync of the source is running", wantErr: app.ErrBusy,
		setup: func(t *testing.T, w *mirrorWorld) {
			unlock, _, _ := w.locks.TryLock(t.Context(), w.id)
			t.Cleanup(unlock)
		}},
	// A count left stale (the last subscriber left during a sync) is put
	// right, so the source leaves the sync schedule.
	{name: "no one subscribes any more", subscribers: 0,
		setup: func(t *testing.T, w *mirrorWorld) {
			if err := w.subs.Update(t.Context(), w.id, consumer.KeyID, func(s *domain.Subscription) error {
				return s.Unsubscribe(t0)
			}); err != nil {
				t.Fatal(err)
			}
		}},
}

// The syncs that end in an error: nothing is mirrored or kept, and the
// failures that are the publisher's or the store's are recorded on the
// source.
func TestSyncSourceFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range syncFailures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			w.publish(t, "alpha", "1.0.0", "alpha's bytes")
			w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			tt.setup(t, w)
			before := len(w.sources.Events(w.id))
			res, err := w.sync.Run(context.Background(), w.id)
			wantErr(t, err, tt.wantErr)
			if res.MirroredCount != 0 || len(w.allPluginEvents()) != 0 || len(w.kept(t)) != 0 {
				t.Errorf("mirrored %d, plugin events %v, kept %v", res.MirroredCount, w.allPluginEvents(), w.kept(t))
			}
			var failures []string
			for _, e := range w.sources.Events(w.id)[before:] {
				if f, ok := e.(domain.SourceFailureRecorded); ok {
					failures = append(failures, f.Kind)
				}
			}
			var want []string
			if tt.failure != "" {
				want = []string{tt.failure}
			}
			if !slices.Equal(failures, want) {
				t.Errorf("failures recorded %v, want %q", failures, tt.failure)
			}
			if n := mustLoad(t, w.sources, w.id).State().TrustInputs.Subscribers; n != tt.subscribers && tt.wantErr == nil {
				t.Errorf("the source counts %d subscribers, want %d", n, tt.subscribers)
			}
			if m := w.metrics.last(); m.failed != (tt.wantErr != nil) {
				t.Errorf("metrics measured %+v", m)
			}
		})
	}
}
