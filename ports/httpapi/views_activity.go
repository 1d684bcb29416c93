package httpapi

import (
	"time"

	"github.com/pfn-network/pfn/app"
)

// Activity family (views.go): PFN's fields and envelope are camelCase;
// the original network's fields beside them keep its snake_case, for its
// clients (docs/compatibility.md, "Activity").

// activityPageView is GET /federation/activity in PFN's shape. Activities
// is the same list as Entries, under the original's name.
type activityPageView struct {
	Entries    []activityEntryView `json:"entries"`
	Activities []activityEntryView `json:"activities"`
	NextCursor string              `json:"nextCursor,omitempty"`
}

// activityEntryView is PFN's entry with the original's fields inlined.
type activityEntryView struct {
	ID       string    `json:"id"`
	Position int64     `json:"position"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	SourceID string    `json:"sourceId"`
	Plugin   string    `json:"plugin,omitempty"`
	Summary  string    `json:"summary"`
	originalActivityView
}

// originalActivityView is an entry as the original's clients read it, and
// with PFN_API_COMPAT=original the whole entry: every field always
// present, null where an entry has no such thing.
type originalActivityView struct {
	Type           string  `json:"type"`
	PluginID       *string `json:"plugin_id"`
	PluginName     *string `json:"plugin_name"`
	SourceID       string  `json:"source_id"`
	SourceUsername string  `json:"source_username"`
	OldVersion     *string `json:"old_version"`
	NewVersion     *string `json:"new_version"`
	Timestamp      int64   `json:"timestamp"` // unix seconds
}

func viewActivityPage(p app.ActivityPage) activityPageView {
	return activityPageView{Entries: viewAll(p.Entries, viewActivityEntry),
		Activities: viewAll(p.Activities, viewActivityEntry), NextCursor: p.NextCursor}
}

func viewActivityEntry(e app.ActivityEntry) activityEntryView {
	return activityEntryView{ID: e.ID, Position: e.Position, At: e.At, Kind: e.Kind, SourceID: e.SourceID,
		Plugin: e.Plugin, Summary: e.Summary, originalActivityView: viewOriginalActivity(e.OriginalActivity)}
}

func viewOriginalActivity(o app.OriginalActivity) originalActivityView {
	return originalActivityView{Type: o.Type, PluginID: o.PluginID, PluginName: o.PluginName, SourceID: o.SourceID,
		SourceUsername: o.SourceUsername, OldVersion: o.OldVersion, NewVersion: o.NewVersion, Timestamp: o.Timestamp}
}
