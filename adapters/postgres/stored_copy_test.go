package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// The recheck's verdict on a stored copy goes through the plugin's stream
// into mirrored_plugins (what verify, the catalogue and downloads read)
// and the activity feed, is remembered across loads (recorded once), and
// a rebuild from the log gives the same tables.
func TestStoredCopyVerdictInTheMirrorAndActivity(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	r := startRunner(t, pool, postgres.MirrorProjectionHandler{}, postgres.ActivityProjection{})
	store := eventstore.New(pool)
	repo := postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter{r}}
	reader := postgres.PluginReader{Pool: pool}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter{r}, Pool: pool}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9003/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	id := s.State().ID
	plugins := []string{"tool", "other"}
	hs, err := repo.LoadAll(ctx, id, plugins)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plugins {
		hs[p].RecordMirrored(domain.PluginMirrored{SourceID: id, Plugin: p, Name: p, Version: "1.0.0", SHA256: "aa", Size: 10,
			BlobKey: "k/" + p, PublisherSignature: "sig", FederationSignature: "fed", NodeKeyID: "node", At: t0})
	}
	if err := repo.SaveAll(ctx, []*domain.PluginHistory{hs["tool"], hs["other"]}, s); err != nil {
		t.Fatal(err)
	}
	// check loads the histories afresh, as each recheck does, records one
	// measurement per plugin and says how many events that wrote.
	check := func(at time.Time, m map[string]domain.StoredCopyMeasure) int {
		t.Helper()
		src, err := sources.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := repo.LoadAll(ctx, id, plugins)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for p, measure := range m {
			hs[p].CheckStoredCopy("1.0.0", measure, at)
			n += len(hs[p].Changes())
		}
		if err := repo.SaveAll(ctx, []*domain.PluginHistory{hs["tool"], hs["other"]}, src); err != nil {
			t.Fatal(err)
		}
		return n
	}
	view := func(p string) app.PluginView {
		t.Helper()
		vs, err := reader.PluginVersions(ctx, string(id), p)
		if err != nil || len(vs) != 1 {
			t.Fatalf("versions of %s: %v %v", p, vs, err)
		}
		return vs[0]
	}
	good := domain.StoredCopyMeasure{SHA256: "aa", Size: 10}
	if v := view("tool"); !v.StoredCopy.OK || v.StoredCopy.Damage != "" || v.StoredCopy.FoundAt != nil {
		t.Fatalf("a copy never rechecked reads %+v", v.StoredCopy)
	}

	t1 := t0.Add(time.Hour)
	if n := check(t1, map[string]domain.StoredCopyMeasure{"tool": {Missing: true}, "other": {SHA256: "bb", Size: 10}}); n != 2 {
		t.Fatalf("first damage wrote %d events, want 2", n)
	}
	if v := view("tool"); v.StoredCopy.OK || v.StoredCopy.Damage != "missing: the stored file is gone" || v.StoredCopy.FoundAt == nil || !v.StoredCopy.FoundAt.Equal(t1) {
		t.Fatalf("missing copy reads %+v", v.StoredCopy)
	}
	if v := view("other"); v.StoredCopy.OK || v.StoredCopy.Damage != "sha256 bb and 10 bytes measured, aa and 10 bytes recorded" {
		t.Fatalf("corrupted copy reads %+v", v.StoredCopy)
	}
	stored, err := reader.StoredVersions(ctx, id)
	if err != nil || len(stored) != 2 || !stored[0].Damaged || !stored[1].Damaged || stored[0].BlobKey == "" {
		t.Fatalf("stored versions %+v (%v), want both damaged with their keys", stored, err)
	}
	if n := check(t1.Add(time.Hour), map[string]domain.StoredCopyMeasure{"tool": {Missing: true}, "other": {SHA256: "bb", Size: 10}}); n != 0 {
		t.Fatalf("the same damage found again wrote %d events", n)
	}
	t3 := t1.Add(2 * time.Hour)
	if n := check(t3, map[string]domain.StoredCopyMeasure{"tool": good, "other": {SHA256: "bb", Size: 10}}); n != 1 {
		t.Fatalf("a restored copy wrote %d events, want 1", n)
	}
	if v := view("tool"); !v.StoredCopy.OK || v.StoredCopy.Damage != "" || v.StoredCopy.FoundAt != nil {
		t.Fatalf("restored copy reads %+v", v.StoredCopy)
	}

	var kinds []string
	deadline := time.Now().Add(20 * time.Second)
	for want := []string{"stored_copy_damaged", "stored_copy_damaged", "stored_copy_restored"}; !slices.Equal(kinds, want); {
		if time.Now().After(deadline) {
			t.Fatalf("activity kinds %v, want %v", kinds, want)
		}
		time.Sleep(50 * time.Millisecond)
		rows, err := pool.Query(ctx, `SELECT kind FROM activity WHERE kind LIKE 'stored_copy_%' ORDER BY position`)
		if err != nil {
			t.Fatal(err)
		}
		kinds = kinds[:0]
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			kinds = append(kinds, k)
		}
		rows.Close()
	}

	before := []string{tableSum(t, pool, "mirrored_plugins"), tableSum(t, pool, "activity")}
	if _, err := r.Rebuild(ctx, []string{postgres.MirrorProjection, postgres.ActivityProjectionName}, eventstore.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := []string{tableSum(t, pool, "mirrored_plugins"), tableSum(t, pool, "activity")}; !slices.Equal(after, before) {
		t.Fatalf("rebuilt tables differ: %v, live %v", after, before)
	}
	if v := view("other"); v.StoredCopy.OK || !v.StoredCopy.FoundAt.Equal(t1) {
		t.Fatalf("after a rebuild the damaged copy reads %+v", v.StoredCopy)
	}
}
