package postgres_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// The change feed numbers the catalogue's changes 1, 2, 3… in commit
// order: a transaction that started first and commits last is neither
// skipped nor shown before it commits (nothing after it shows meanwhile),
// version changes name the mirrored bytes, and a rebuild gives every
// change the same cursor.
func TestCatalogChangesInCommitOrderAndRebuilt(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	r := startRunner(t, pool, postgres.MirrorProjectionHandler{}, postgres.CatalogChanges{})
	store := eventstore.New(pool)
	histories := postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter{r}}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter{r}, Pool: pool}
	feed := postgres.ChangeFeed{Pool: pool}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s, _ := domain.RegisterSource("http://127.0.0.1:9005/", "author", base64.StdEncoding.EncodeToString(pub), "key_a", t0)
	id := s.State().ID
	mirrorTool(t, histories, s, t0) // 1.0.0, then 1.1.0 and its update
	if err := s.Suspend("spam", true, "key_admin", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume("cleared", "key_admin", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The upstream node withholds the source, then serves it again.
	if !s.RecordUpstreamStatus(domain.UpstreamRemoved, "gone there", t0.Add(2*time.Minute+10*time.Second)) ||
		!s.RecordUpstreamStatus("active", "", t0.Add(2*time.Minute+20*time.Second)) {
		t.Fatal("upstream status not recorded")
	}
	if err := sources.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	hs, err := histories.LoadAll(ctx, id, []string{"tool"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := hs["tool"].Yank("1.1.0", "malware", "key_admin", t0.Add(3*time.Minute)); !ok || err != nil {
		t.Fatalf("yank: %v %v", ok, err)
	}
	if err := histories.SaveAll(ctx, []*domain.PluginHistory{hs["tool"]}, s); err != nil {
		t.Fatal(err)
	}
	waitForHead(t, feed, 8)

	// Out of order: the first writer appends and stays open while a second
	// appends and commits; only then does the first commit.
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	appendMirrored(t, first, id, "late", t0.Add(4*time.Minute))
	second, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendMirrored(t, second, id, "early", t0.Add(5*time.Minute))
	if err := second.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // many polls of the runner (10ms)
	if head, err := feed.FeedHead(ctx); err != nil || head != 8 {
		t.Fatalf("head %d, %v while the first writer is open; want 8 (the later commit held back)", head, err)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitForHead(t, feed, 10)

	got := readFeed(t, feed, 0, "")
	want := []string{
		"1 version.mirrored tool 1.0.0 aa 10 ",
		"2 version.mirrored tool 1.1.0 aa 10 ",
		"3 version.updated tool 1.1.0 aa 10 ",
		"4 source.quarantined    0 spam",
		"5 source.resumed    0 cleared",
		"6 source.removed    0 upstream: gone there",
		"7 source.resumed    0 upstream: serves the source again",
		"8 version.yanked tool 1.1.0 aa 10 malware",
		"9 version.mirrored late 1.0.0 bb 3 ",
		"10 version.mirrored early 1.0.0 bb 3 ",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("feed\n%q\nwant\n%q", got, want)
	}
	if got := readFeed(t, feed, 8, string(id)); len(got) != 2 {
		t.Fatalf("after 8 of %s: %q", id, got)
	}
	if got := readFeed(t, feed, 0, "other@127.0.0.1:1"); len(got) != 0 {
		t.Fatalf("another source's changes: %q", got)
	}

	before := tableSum(t, pool, "catalog_changes")
	if _, err := r.Rebuild(ctx, []string{postgres.CatalogChangesProjection}, eventstore.RebuildOptions{BatchSize: 3}); err != nil {
		t.Fatal(err)
	}
	if after := tableSum(t, pool, "catalog_changes"); after != before {
		t.Fatalf("the rebuilt feed differs:\n%q", readFeed(t, feed, 0, ""))
	}
}

func appendMirrored(t *testing.T, tx pgx.Tx, id domain.SourceID, plugin string, at time.Time) {
	t.Helper()
	events, err := eventstore.EncodeAll([]domain.PluginEvent{domain.PluginMirrored{SourceID: id, Plugin: plugin, Name: plugin,
		Version: "1.0.0", SHA256: "bb", Size: 3, BlobKey: "k/" + plugin, PublisherSignature: "sig", At: at}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.New(tx).Append(pgtest.Context(), "plugin-"+string(id)+"/"+plugin, 0, events...); err != nil {
		t.Fatal(err)
	}
}

func waitForHead(t *testing.T, feed postgres.ChangeFeed, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		head, err := feed.FeedHead(pgtest.Context())
		if err != nil {
			t.Fatal(err)
		}
		if head >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed head %d, want %d", head, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readFeed(t *testing.T, feed postgres.ChangeFeed, after int64, source string) []string {
	t.Helper()
	changes, err := feed.Changes(pgtest.Context(), after, 100, domain.SourceID(source))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range changes {
		out = append(out, changeLine(c))
	}
	return out
}

func changeLine(c app.Change) string {
	return fmt.Sprintf("%d %s %s %s %s %d %s", c.Cursor, c.Kind, c.Plugin, c.Version, c.SHA256, c.Size, c.Reason)
}
