package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// feedCatalog is an upstream node in memory: its listings and files (the
// MemoryCatalog), and a change feed whose head is the number of changes
// it has for the source; it counts the listings asked for.
type feedCatalog struct {
	*app.MemoryCatalog
	mu       sync.Mutex
	head     int64
	err      error
	listings int
	asked    []int64 // the cursors the feed was asked after
}

func (c *feedCatalog) AuthorData(ctx context.Context, instanceURL, author string) ([]app.ListedPlugin, error) {
	c.mu.Lock()
	c.listings++
	c.mu.Unlock()
	return c.MemoryCatalog.AuthorData(ctx, instanceURL, author)
}

func (c *feedCatalog) Changes(_ context.Context, _, source string, after int64, limit int) (app.UpstreamChanges, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, after)
	if source != "author" {
		return app.UpstreamChanges{}, errors.New("asked about another source: " + source)
	}
	if c.err != nil {
		return app.UpstreamChanges{}, c.err
	}
	n := min(max(c.head-after, 0), int64(limit))
	return app.UpstreamChanges{Count: int(n), Next: max(after, after+n), More: after+n < c.head}, nil
}

// feedWorld is a subscribed mirrorWorld whose upstream announces a change
// feed, synced once: a.1.0.0 mirrored, the feed's cursor at 5.
func feedWorld(t *testing.T) (*mirrorWorld, *feedCatalog) {
	t.Helper()
	w := subscribedWorld(t)
	info := mirrorInfo
	info.Features = []string{"pfn-node/v1", "change-feed"}
	if err := w.sources.Update(context.Background(), w.id, func(s *domain.Source) error { return s.RefreshInfo(info, t0) }); err != nil {
		t.Fatal(err)
	}
	fc := &feedCatalog{MemoryCatalog: w.catalog, head: 5}
	w.sync.Catalog = fc
	w.publish(t, "a", "1.0.0", "first")
	if res := w.run(t); res.MirroredCount != 1 {
		t.Fatalf("first sync mirrored %d", res.MirroredCount)
	}
	if st := mustLoad(t, w.sources, w.id).State(); fc.listings != 1 || st.Feed.Cursor != 5 || st.Feed.Filters == "" {
		t.Fatalf("after the first sync: %d listings, feed %+v", fc.listings, st.Feed)
	}
	return w, fc
}

func TestSyncFollowsTheUpstreamChangeFeed(t *testing.T) {
	boom := errors.New("feed down")
	cases := []struct {
		name     string
		change   func(t *testing.T, w *mirrorWorld, fc *feedCatalog)
		listings int   // listings fetched by the second sync
		cursor   int64 // kept after it
		mirrored int
	}{
		{"no change since the cursor: no listing", func(*testing.T, *mirrorWorld, *feedCatalog) {}, 0, 5, 0},
		{"a change: the listing, and the cursor moves", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			w.publish(t, "b", "1.0.0", "second")
			fc.head = 7
		}, 1, 7, 1},
		{"the feed fails: the listing, and the cursor stays", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			w.publish(t, "b", "1.0.0", "second")
			fc.err = boom
		}, 1, 5, 1},
		{"a download fails: the cursor stays for the next sync to retry", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			w.publish(t, "b", "1.0.0", "second")
			w.catalog.FailDownload(w.url(t, "b", "1.0.0"), boom)
			fc.head = 7
		}, 1, 5, 0},
		{"a long backlog is read to its head", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			fc.head = 1205
		}, 1, 1205, 0},
		{"a full listing is due anyway", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			w.sync.Now = func() time.Time { return t0.Add(app.DefaultFullListingEvery) }
		}, 1, 5, 0},
		{"another subscriber with the same filters: no listing", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			subscribe(t, w.sources, w.subs, app.Principal{KeyID: "other"}, w.id)
		}, 0, 5, 0},
		{"other filters: the listing", func(t *testing.T, w *mirrorWorld, fc *feedCatalog) {
			ctx := context.Background()
			sub, _ := w.subs.Load(ctx, w.id, "other")
			if err := sub.Subscribe(mustLoad(t, w.sources, w.id).State(), domain.Filters{Tags: []string{"tools"}}, t0); err != nil {
				t.Fatal(err)
			}
			if err := w.subs.Save(ctx, sub); err != nil {
				t.Fatal(err)
			}
		}, 1, 5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, fc := feedWorld(t)
			tc.change(t, w, fc)
			before := mustLoad(t, w.sources, w.id).State().LastSyncAt
			res := w.run(t)
			st := mustLoad(t, w.sources, w.id).State()
			if fc.listings-1 != tc.listings || st.Feed.Cursor != tc.cursor || res.MirroredCount != tc.mirrored {
				t.Fatalf("%d listings, cursor %d, mirrored %d; want %d, %d, %d", fc.listings-1, st.Feed.Cursor,
					res.MirroredCount, tc.listings, tc.cursor, tc.mirrored)
			}
			if st.LastSyncAt.Before(before) || st.LastSyncError != "" || st.PluginCount < 1 {
				t.Fatalf("the sync is not recorded done: %+v", st)
			}
		})
	}
}

// A sync that fails after reading the feed records nothing: the cursor
// moves only with a recorded sync.
func TestSyncKeepsTheFeedCursorWhenTheSyncFails(t *testing.T) {
	w, fc := feedWorld(t)
	fc.head = 9
	w.catalog.FailListing(instance, "author", errors.New("listing down"))
	if _, err := w.sync.Run(context.Background(), w.id); err == nil {
		t.Fatal("the sync succeeded without a listing")
	}
	if st := mustLoad(t, w.sources, w.id).State(); st.Feed.Cursor != 5 {
		t.Fatalf("cursor %d after a failed sync, want 5", st.Feed.Cursor)
	}
	w.catalog.FailListing(instance, "author", nil)
	w.run(t)
	if st := mustLoad(t, w.sources, w.id).State(); st.Feed.Cursor != 9 || fc.listings != 3 {
		t.Fatalf("cursor %d after %d listings, want 9 after 3", st.Feed.Cursor, fc.listings)
	}
}
