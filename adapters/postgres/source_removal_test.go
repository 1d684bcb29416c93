package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A quarantine withholds a source's plugins from listings (unless asked)
// and from FindPlugin; a removal takes them out of mirrored_plugins, shows
// in the sources row and leaves the source an unfinished removal until its
// files are deleted; adding it again starts a fresh row, its next
// incarnation.
func TestQuarantineRemovalAndIncarnationInTheReadModels(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	r := startRunner(t, pool, postgres.MirrorProjectionHandler{})
	store := eventstore.New(pool)
	histories := postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter{r}}
	plugins := postgres.PluginReader{Pool: pool}
	sourcesRead := postgres.SourceReader{Pool: pool}
	repo := postgres.SourceRepository{Store: store, Waiter: waiter{r}, Pool: pool}
	find := app.FindPlugin{Plugins: plugins, Sources: sourcesRead}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9014/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	_ = s.RecordOwnershipProof(true, "", t0)
	id := s.State().ID
	mirrorTool(t, histories, s, t0)
	listed := func(includeQuarantined bool) int {
		t.Helper()
		page, err := plugins.ListPlugins(ctx, app.PluginQuery{Source: string(id), Limit: 10, IncludeQuarantined: includeQuarantined})
		if err != nil {
			t.Fatal(err)
		}
		return len(page)
	}
	update := func(change func(*domain.Source) error) {
		t.Helper()
		if err := repo.Update(ctx, id, change); err != nil {
			t.Fatal(err)
		}
	}

	update(func(s *domain.Source) error { return s.Suspend("court order", true, "key_admin", t0) })
	if n, all := listed(false), listed(true); n != 0 || all != 2 {
		t.Fatalf("quarantined: %d listed, %d with include_quarantined", n, all)
	}
	if _, err := find.Handle(ctx, string(id), "tool", ""); !errors.Is(err, domain.ErrWithheld) {
		t.Fatalf("find in a quarantined source: %v, want withheld", err)
	}
	update(func(s *domain.Source) error { return s.Resume("", "key_admin", t0) })
	if _, err := find.Handle(ctx, string(id), "tool", ""); err != nil || listed(false) != 2 {
		t.Fatalf("after the resume: find %v, %d listed", err, listed(false))
	}

	s, err := repo.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := histories.LoadAll(ctx, id, []string{"tool"})
	if err != nil {
		t.Fatal(err)
	}
	keys := hs["tool"].Forget("malware", 1, t0)
	slices.Sort(keys)
	if err := s.Remove("malware", "key_admin", keys, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := histories.SaveAll(ctx, []*domain.PluginHistory{hs["tool"]}, s); err != nil {
		t.Fatal(err)
	}
	v, err := sourcesRead.GetSource(ctx, id)
	want := app.RemovalView{Reason: "malware", By: "key_admin", At: t0.Add(time.Hour), FilesPending: 2}
	if err != nil || v.Status != "removed" || v.Removal == nil || *v.Removal != want || v.Incarnation != 1 {
		t.Fatalf("removed source row: %+v (%+v), %v", v, v.Removal, err)
	}
	if versions, _ := plugins.PluginVersions(ctx, string(id), "tool"); len(versions) != 0 || listed(true) != 0 {
		t.Fatalf("a removed source's versions stay in mirrored_plugins: %v", versions)
	}
	if _, err := find.Handle(ctx, string(id), "tool", "1.0.0"); !errors.Is(err, domain.ErrGone) {
		t.Fatalf("find in a removed source: %v, want gone", err)
	}
	unfinished := func() []domain.SourceID {
		t.Helper()
		ids, err := sourcesRead.UnfinishedRemovals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := unfinished(); !slices.Equal(got, []domain.SourceID{id}) {
		t.Fatalf("unfinished removals %v", got)
	}
	update(func(s *domain.Source) error { s.RecordFilesDeleted(t0.Add(2 * time.Hour)); return nil })
	if got := unfinished(); len(got) != 0 {
		t.Fatalf("unfinished removals after the deletion %v", got)
	}

	fresh, _ := domain.RegisterSource("http://127.0.0.1:9014/", "author", base64.StdEncoding.EncodeToString(pub), "key_b", t0.Add(3*time.Hour))
	update(func(s *domain.Source) error { return s.Reregister(fresh.State(), t0.Add(3*time.Hour)) })
	v, err = sourcesRead.GetSource(ctx, id)
	if err != nil || v.Status != "pending" || v.Removal != nil || v.Incarnation != 2 || v.AddedBy != "key_b" || v.SuccessfulVerifications != 0 {
		t.Fatalf("the new incarnation's row: %+v, %v", v, err)
	}
}

// mirrorTool saves versions 1.0.0 and 1.1.0 of plugin "tool" of s (and s
// itself) as a sync records them.
func mirrorTool(t *testing.T, histories postgres.PluginHistories, s *domain.Source, at time.Time) {
	t.Helper()
	ctx := pgtest.Context()
	id := s.State().ID
	hs, err := histories.LoadAll(ctx, id, []string{"tool"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		hs["tool"].RecordMirrored(domain.PluginMirrored{SourceID: id, Plugin: "tool", Name: "Tool", Version: v, SHA256: "aa", Size: 10,
			BlobKey: "k/" + v, PublisherSignature: "sig", FederationSignature: "fed", NodeKeyID: "node", At: at})
	}
	if err := histories.SaveAll(ctx, []*domain.PluginHistory{hs["tool"]}, s); err != nil {
		t.Fatal(err)
	}
}

// PluginSlugs names every plugin stream of a source, one holding only a
// refusal included, and none of another source whose id starts alike.
func TestPluginSlugsListsEveryPluginStream(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	histories := postgres.PluginHistories{Pool: pool, Store: eventstore.New(pool), Waiter: waiter{startRunner(t, pool, postgres.MirrorProjectionHandler{})}}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	register := func(instance string) *domain.Source {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		s, _ := domain.RegisterSource(instance, "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
		return s
	}
	s, other := register("http://127.0.0.1:901/"), register("http://127.0.0.1:9014/")
	mirrorTool(t, histories, s, t0)
	mirrorTool(t, histories, other, t0)
	hs, err := histories.LoadAll(ctx, s.State().ID, []string{"forged"})
	if err != nil {
		t.Fatal(err)
	}
	hs["forged"].RecordRejected("1.0.0", "invalid signature", t0)
	if err := histories.SaveAll(ctx, []*domain.PluginHistory{hs["forged"]}, s); err != nil {
		t.Fatal(err)
	}
	got, err := histories.PluginSlugs(ctx, s.State().ID)
	if err != nil || !slices.Equal(got, []string{"forged", "tool"}) {
		t.Fatalf("plugin slugs %v, %v; want forged and tool", got, err)
	}
}
