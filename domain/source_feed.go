package domain

import "time"

// FeedMark is where a sync of a source whose upstream is a PFN node with a
// change feed left that feed (app/sync_feed.go): every change of the
// upstream's source up to Cursor is taken in, for the subscribers' filters
// whose fingerprint is Filters. Unchanged says the feed listed no change
// after Cursor, so the sync fetched no listing. It rides on the sync's own
// event (SourceSynced), so a restart or a rebuild keeps it.
type FeedMark struct {
	Cursor    int64  `json:"cursor"`
	Filters   string `json:"filters"`
	Unchanged bool   `json:"unchanged,omitempty"`
}

// FeedPosition is the source's feed mark as the syncs left it, and when a
// sync last fetched the whole listing (a periodic full listing is the
// safety net for what a feed does not tell).
type FeedPosition struct {
	Cursor   int64     `json:",omitempty"`
	Filters  string    `json:",omitempty"` // "" when no mark is kept
	ListedAt time.Time `json:",omitzero"`
}

// applySynced moves the feed position: a mark replaces the one kept (a sync
// that could not take in all the feed told keeps the old one), and a sync
// that fetched the listing is the latest full listing.
func (p *FeedPosition) applySynced(e SourceSynced) {
	if e.Feed != nil {
		p.Cursor, p.Filters = e.Feed.Cursor, e.Feed.Filters
	}
	if e.Feed == nil || !e.Feed.Unchanged {
		p.ListedAt = e.At
	}
}
