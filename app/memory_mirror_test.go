package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// SaveAll writes all or nothing, as the event store's transaction: a stale
// history or a stale source is a conflict and leaves every stream as it was.
func TestMemoryMirrorSaveAllIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newMirrorWorld(t)
	load := func() (*domain.PluginHistory, *domain.Source) {
		hs, err := w.mirror.LoadAll(ctx, w.id, []string{"alpha"})
		if err != nil {
			t.Fatal(err)
		}
		return hs["alpha"], mustLoad(t, w.sources, w.id)
	}
	change := func(h *domain.PluginHistory, s *domain.Source, n int) {
		h.RecordRejected("1.0.0", strings.Repeat("x", n), t0)
		s.SetSubscriberCount(n, t0)
	}
	h1, s1 := load()
	h2, s2 := load()
	change(h1, s1, 1)
	if err := w.mirror.SaveAll(ctx, []*domain.PluginHistory{h1}, s1); err != nil {
		t.Fatal(err)
	}
	sourceEvents := len(w.sources.Events(w.id))
	_, fresh := load()
	change(h2, fresh, 2) // a stale history with a fresh source
	wantErr(t, w.mirror.SaveAll(ctx, []*domain.PluginHistory{h2}, fresh), domain.ErrConflict)
	freshHistory, _ := load()
	change(freshHistory, s2, 3) // a fresh history with a stale source
	wantErr(t, w.mirror.SaveAll(ctx, []*domain.PluginHistory{freshHistory}, s2), domain.ErrConflict)
	if got := len(w.mirror.Events(w.id, "alpha")); got != 1 || len(w.sources.Events(w.id)) != sourceEvents {
		t.Fatalf("after two conflicts: %d plugin events (want 1), %d source events (want %d)", got, len(w.sources.Events(w.id)), sourceEvents)
	}
}

// Like the file store, MemoryBlobs keeps nothing past the cap, and a file
// is durable only once synced.
func TestMemoryBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := &app.MemoryBlobs{}
	if _, err := b.Put(ctx, "big", strings.NewReader("12345"), 4); err == nil || len(b.Keys()) != 0 {
		t.Fatalf("5 bytes under a cap of 4: %v, kept %v", err, b.Keys())
	}
	stored, err := b.Put(ctx, "k", strings.NewReader("1234"), 4)
	if err != nil || stored.Size != 4 || stored.SHA256 != sha("1234") || b.Durable("k") {
		t.Fatalf("put %+v, %v, durable %v", stored, err, b.Durable("k"))
	}
	wantErr(t, b.Sync(ctx, []string{"k", "never stored"}), domain.ErrNotFound)
	if err := b.Sync(ctx, []string{"k"}); err != nil || !b.Durable("k") {
		t.Fatalf("sync: %v, durable %v", err, b.Durable("k"))
	}
	if err := b.Delete(ctx, "k"); err != nil || b.Delete(ctx, "k") != nil {
		t.Fatal("deleting twice is no error")
	}
	_, _, err = b.Open(ctx, "k")
	wantErr(t, err, domain.ErrNotFound)
}
