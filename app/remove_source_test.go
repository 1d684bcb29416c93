package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// downStore is a blob store whose deletions fail, as one that is down (or
// a node that crashed after the removal's events were stored).
type downStore struct{ *app.MemoryBlobs }

func (downStore) Delete(context.Context, string) error { return errors.New("blob store unreachable") }

// pendingRemovals is the read model's list of unfinished removals, from
// the sources themselves.
type pendingRemovals struct {
	sources *app.MemorySources
	ids     []domain.SourceID
}

func (p pendingRemovals) UnfinishedRemovals(ctx context.Context) ([]domain.SourceID, error) {
	var out []domain.SourceID
	for _, id := range p.ids {
		s, err := p.sources.Load(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(s.PendingFiles()) > 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

func (w *mirrorWorld) remover(blobs app.BlobStore) app.RemoveSource {
	return app.RemoveSource{Sources: w.sources, Histories: w.mirror, Plugins: w.mirror, Locker: w.sync.Locker, Now: now,
		Finish: app.FinishRemoval{Sources: w.sources, Subscriptions: w.subs, Subscribers: w.subs, Blobs: blobs,
			Unfinished: pendingRemovals{w.sources, []domain.SourceID{w.id}}, Locker: w.sync.Locker, Now: now}}
}

func TestRemoveSourceCommand(t *testing.T) {
	tests := []struct {
		name    string
		by      app.Principal
		reason  string
		twice   bool
		wantErr error
	}{
		{"an admin removes", admin, "malware", false, nil},
		{"a consumer may not", consumer, "malware", false, domain.ErrForbidden},
		{"no reason", admin, " ", false, domain.ErrInvalidInput},
		{"not twice", admin, "malware", true, domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := subscribedWorld(t)
			w.publish(t, "hello", "1.0.0", "v1")
			w.publish(t, "other", "2.0.0", "v2")
			w.run(t)
			remove := w.remover(w.blobs)
			req := app.RemoveSourceRequest{ID: w.id, Reason: tt.reason}
			if tt.twice {
				if _, err := remove.Handle(context.Background(), tt.by, req); err != nil {
					t.Fatal(err)
				}
			}
			before := len(w.sources.Events(w.id))
			st, err := remove.Handle(context.Background(), tt.by, req)
			wantErr(t, err, tt.wantErr)
			if tt.wantErr != nil {
				if len(w.sources.Events(w.id)) != before {
					t.Fatal("a refused removal recorded events")
				}
				return
			}
			if st.Status != domain.StatusRemoved || len(st.Removal.PendingFiles) != 0 || len(w.blobs.Keys()) != 0 {
				t.Fatalf("after the removal: %s, pending %v, blobs %v", st.Status, st.Removal.PendingFiles, w.blobs.Keys())
			}
			if subs, _ := w.subs.ActiveFilters(context.Background(), w.id); len(subs) != 0 {
				t.Fatalf("subscriptions left: %v", subs)
			}
			if got := w.pluginEvents("hello"); got[len(got)-1] != domain.EventPluginSourceGone {
				t.Fatalf("hello's history not closed: %v", got)
			}
		})
	}
}

// A removal whose files could not be deleted is recorded with them as
// pending; the sweep deletes them once the store is back, and a source
// added again mirrors its plugins afresh.
func TestRemovalConvergesAfterAFailedDeletion(t *testing.T) {
	ctx := context.Background()
	w := subscribedWorld(t)
	w.publish(t, "hello", "1.0.0", "v1")
	w.run(t)
	st, err := w.remover(downStore{w.blobs}).Handle(ctx, admin, app.RemoveSourceRequest{ID: w.id, Reason: "malware"})
	if err != nil || len(st.Removal.PendingFiles) != 1 {
		t.Fatalf("a removal whose files stay: %v, pending %v; want it recorded with the file pending", err, st.Removal.PendingFiles)
	}
	s, _ := w.sources.Load(ctx, w.id)
	if s.State().Status != domain.StatusRemoved || len(s.PendingFiles()) != 1 || len(w.blobs.Keys()) != 1 {
		t.Fatalf("after the failed deletion: %s, pending %v, blobs %v", s.State().Status, s.PendingFiles(), w.blobs.Keys())
	}
	if err := s.Reregister(s.State(), now()); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("added again while files are pending: %v", err)
	}

	sweep := w.remover(w.blobs).Finish
	if err := sweep.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	n := len(w.sources.Events(w.id))
	if err := sweep.Sweep(ctx); err != nil || len(w.sources.Events(w.id)) != n {
		t.Fatalf("a second sweep: %v, %d new events", err, len(w.sources.Events(w.id))-n)
	}
	if s, _ = w.sources.Load(ctx, w.id); len(s.PendingFiles()) != 0 || len(w.blobs.Keys()) != 0 {
		t.Fatalf("after the sweep: pending %v, blobs %v", s.PendingFiles(), w.blobs.Keys())
	}

	w.addAgain(t)
	if res := w.run(t); res.MirroredCount != 1 {
		t.Fatalf("the new incarnation mirrored %d, want hello afresh: %+v", res.MirroredCount, res)
	}
	if got := w.kept(t); len(got) != 1 {
		t.Fatalf("kept after adding again: %v", got)
	}
}

// addAgain registers the removed source again, verified, as add-source
// does, and subscribes the consumer again.
func (w *mirrorWorld) addAgain(t *testing.T) {
	t.Helper()
	err := w.sources.Update(context.Background(), w.id, func(s *domain.Source) error {
		if err := s.Reregister(s.State(), now()); err != nil {
			return err
		}
		if err := s.RefreshInfo(mirrorInfo, now()); err != nil {
			return err
		}
		return s.RecordOwnershipProof(true, "", now())
	})
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, w.sources, w.subs, consumer, w.id)
}

// A removal closes every plugin history of the source, a plugin the node
// only ever refused included: the new incarnation records the refusal
// afresh instead of inheriting that it was reported.
func TestRemovalClosesPluginsOnlyEverRefused(t *testing.T) {
	w := subscribedWorld(t)
	w.publish(t, "hello", "1.0.0", "v1")
	forged := w.publish(t, "forged", "1.0.0", "v1")
	forged.Signature = app.SignListing(w.key, app.ListedPlugin{Slug: "other", Version: "1.0.0"}).Signature
	w.list(forged)
	w.run(t)
	if n := count(w.pluginEvents("forged"), domain.EventPluginRejected); n != 1 {
		t.Fatalf("forged's events %v, want one refusal", w.pluginEvents("forged"))
	}
	if _, err := w.remover(w.blobs).Handle(context.Background(), admin, app.RemoveSourceRequest{ID: w.id, Reason: "malware"}); err != nil {
		t.Fatal(err)
	}
	if got := w.pluginEvents("forged"); got[len(got)-1] != domain.EventPluginSourceGone {
		t.Fatalf("forged's history not closed: %v", got)
	}
	w.addAgain(t)
	w.run(t)
	if n := count(w.pluginEvents("forged"), domain.EventPluginRejected); n != 2 {
		t.Fatalf("forged's events %v, want the refusal recorded again for the new incarnation", w.pluginEvents("forged"))
	}
}
