package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// Where the upstream is a PFN node with a change feed (features
// "pfn-node/v1" and "change-feed"), a sync asks the feed what changed for
// the source since the cursor it kept before it fetches the listing
// (issue #15: "the downstream follows it instead of polling listings").
// Nothing changed: the sync records itself done, listing nothing. Else,
// and whenever the feed cannot be read, it fetches the listing as it
// would without a feed, and keeps the feed's cursor once everything the
// listing holds is taken in. The cursor is read before the listing, so the
// listing is at least as new as the cursor kept: no change falls between.

// UpstreamFeed reads one page of an upstream node's change feed for one
// of its sources, after a cursor.
type UpstreamFeed interface {
	Changes(ctx context.Context, nodeURL, source string, after int64, limit int) (UpstreamChanges, error)
}

// UpstreamChanges is what a feed page says: how many changes, the cursor
// to ask after next, and whether more wait.
type UpstreamChanges struct {
	Count int
	Next  int64
	More  bool
}

// Feed features an upstream node announces in /federation-info.
const (
	featurePFNNode    = "pfn-node/v1"
	featureChangeFeed = "change-feed"
)

const (
	// feedPage is the changes asked per page; feedPages bounds the pages
	// one sync reads to reach the head (a long backlog is read over the
	// next syncs, each listing the source).
	feedPage  = 500
	feedPages = 4
	// DefaultFullListingEvery is how often a source followed by its feed
	// is listed whole anyway when nothing sets it: what a feed does not
	// tell (a node key's rotation, this node's own policy changing) is
	// then picked up within a day.
	DefaultFullListingEvery = 24 * time.Hour
)

// feedVerdict is what the feed told a sync: skip fetches no listing; mark
// is the cursor to keep once the sync's record is saved (nil: keep the
// last one).
type feedVerdict struct {
	skip bool
	mark *domain.FeedMark
}

// consultFeed asks the upstream's feed, in a quarter of the time the sync
// has (a slow feed leaves the listing its time). own says the sync runs for
// a subscriber's filters as given: it lists whatever the feed says.
func (h SyncSource) consultFeed(ctx context.Context, st domain.SourceState, filters []domain.Filters, own bool) feedVerdict {
	feed, ok := h.Catalog.(UpstreamFeed)
	if !ok || !slices.Contains(st.Info.Features, featurePFNNode) || !slices.Contains(st.Info.Features, featureChangeFeed) {
		return feedVerdict{}
	}
	fingerprint := filtersFingerprint(filters)
	known := st.Feed.Filters != "" && st.Feed.Filters == fingerprint
	after := int64(0)
	if known {
		after = st.Feed.Cursor
	}
	ctx, cancel := quarterOfWhatIsLeft(ctx)
	defer cancel()
	count, next := 0, after
	for range feedPages {
		page, err := feed.Changes(ctx, st.InstanceURL, st.Username, next, feedPage)
		if err != nil {
			return feedVerdict{} // fall back on the listing; the cursor stays
		}
		count, next = count+page.Count, page.Next
		if !page.More {
			break
		}
	}
	v := feedVerdict{mark: &domain.FeedMark{Cursor: next, Filters: fingerprint}}
	every := h.FullListingEvery
	if every <= 0 {
		every = DefaultFullListingEvery
	}
	v.skip = known && count == 0 && !own && st.UpstreamStatus == "" && h.Now().Sub(st.Feed.ListedAt) < every
	if v.skip {
		v.mark.Unchanged = true
	}
	return v
}

// filtersFingerprint names the subscribers' filters: a cursor kept for
// some filters says nothing of versions other filters want.
func filtersFingerprint(filters []domain.Filters) string {
	texts := make([]string, len(filters))
	for i, f := range filters {
		b, _ := json.Marshal(f) // plain strings: cannot fail
		texts[i] = string(b)
	}
	slices.Sort(texts)
	texts = slices.Compact(texts)
	b, _ := json.Marshal(texts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// quarterOfWhatIsLeft bounds the feed's questions within the sync's time.
func quarterOfWhatIsLeft(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)/4))
}

// recordUnchanged closes a sync the feed told nothing changed for: the
// sync is done (as for a listing that changed nothing), and what it keeps
// of the last one (the plugin count, the revalidation's place) stays.
func (h SyncSource) recordUnchanged(ctx context.Context, id domain.SourceID, subscribers int, mark *domain.FeedMark) error {
	now := h.Now()
	return h.Sources.Update(ctx, id, func(s *domain.Source) error {
		st := s.State()
		s.SetSubscriberCount(subscribers, now)
		return s.RecordSync(domain.SyncSummary{PluginCount: st.PluginCount,
			Revalidation: domain.Revalidation{Through: st.RevalidatedThrough}, Feed: mark}, now)
	})
}
