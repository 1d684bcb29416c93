package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// hungStore is a blob store whose deletions hang until their context
// ends, as an S3 endpoint that accepts the connection and never answers.
type hungStore struct{ *app.MemoryBlobs }

func (hungStore) Delete(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// slowStore is a blob store whose first deletion lets meanwhile run
// before it deletes: what other nodes do while a slow sweep is under way.
type slowStore struct {
	*app.MemoryBlobs
	meanwhile func()
}

func (s *slowStore) Delete(ctx context.Context, key string) error {
	if s.meanwhile != nil {
		s.meanwhile()
		s.meanwhile = nil
	}
	return s.MemoryBlobs.Delete(ctx, key)
}

// removedWithPending is a world whose source is removed with the file of
// hello@1.0.0 still to delete.
func removedWithPending(t *testing.T) *mirrorWorld {
	t.Helper()
	w := subscribedWorld(t)
	w.publish(t, "hello", "1.0.0", "v1")
	w.run(t)
	st, err := w.remover(downStore{w.blobs}).Handle(context.Background(), admin, app.RemoveSourceRequest{ID: w.id, Reason: "malware"})
	if err != nil || len(st.Removal.PendingFiles) != 1 {
		t.Fatalf("removal: %v, pending %v; want the file pending", err, st.Removal.PendingFiles)
	}
	return w
}

// A sweep is bounded: a blob store that hangs fails this sweep, not every
// later one.
func TestSweepEndsWithinItsTimeout(t *testing.T) {
	w := removedWithPending(t)
	sweep := w.remover(hungStore{w.blobs}).Finish
	sweep.Timeout = 50 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- sweep.Sweep(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("sweep over a hung store: %v, want its deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a sweep over a hung blob store never ended")
	}
}

// A slow sweep holds the source's sync lock: meanwhile another node
// finishes the removal and the source is added again, but its first sync
// waits, so the slow sweep's deletion cannot take the new incarnation's
// file stored under the same key.
func TestSweepSparesANewIncarnationsFiles(t *testing.T) {
	ctx := context.Background()
	w := removedWithPending(t)
	var synced error
	store := &slowStore{MemoryBlobs: w.blobs, meanwhile: func() {
		if err := w.sources.Update(ctx, w.id, func(s *domain.Source) error { s.RecordFilesDeleted(now()); return nil }); err != nil {
			t.Error(err)
		}
		w.addAgain(t)
		_, synced = w.sync.Run(ctx, w.id)
	}}
	if err := w.remover(store).Finish.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(synced, app.ErrBusy) {
		t.Fatalf("a sync during the sweep: %v, want it busy", synced)
	}
	if res := w.run(t); res.MirroredCount != 1 {
		t.Fatalf("the new incarnation mirrored %d, want hello: %+v", res.MirroredCount, res)
	}
	if got := w.kept(t); len(got) != 1 {
		t.Fatalf("kept after the sweep: %v, want hello's file", got)
	}
}
