package httpapi

import (
	"strconv"
	"time"

	"github.com/pfn-network/pfn/app"
)

// changePageView is a page of GET /federation/changes. Changes is [] when
// there are none: a follower reads the list without a null check.
type changePageView struct {
	Changes []changeView `json:"changes"`
	Next    string       `json:"next"`
	More    bool         `json:"more"`
}

// changeView is one change; a source's change has no plugin, version,
// sha256 or size.
type changeView struct {
	Cursor  string    `json:"cursor"`
	Kind    string    `json:"kind"`
	Source  string    `json:"source"`
	Plugin  string    `json:"plugin,omitempty"`
	Version string    `json:"version,omitempty"`
	SHA256  string    `json:"sha256,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

func viewChangePage(p app.ChangePage) changePageView {
	changes := viewAll(p.Changes, viewChange)
	if changes == nil {
		changes = []changeView{}
	}
	return changePageView{Changes: changes, Next: strconv.FormatInt(p.Next, 10), More: p.More}
}

func viewChange(c app.Change) changeView {
	return changeView{Cursor: strconv.FormatInt(c.Cursor, 10), Kind: c.Kind.String(), Source: string(c.Source),
		Plugin: c.Plugin, Version: c.Version, SHA256: c.SHA256, Size: c.Size, Reason: c.Reason, At: c.At}
}
