package httpapi

import (
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Subscriptions (snake_case rows) and sync results (camelCase, the
// original's syncResult): views.go.

// subscriptionView is a row of GET /federation/subscriptions.
type subscriptionView struct {
	ID         int64          `json:"id"`
	SourceID   string         `json:"source_id"`
	Subscriber string         `json:"subscriber"`
	Filters    domain.Filters `json:"filters"`
	CreatedAt  int64          `json:"created_at"` // unix seconds
}

func viewSubscription(s app.SubscriptionView) subscriptionView {
	return subscriptionView{ID: s.ID, SourceID: s.SourceID, Subscriber: s.Subscriber, Filters: s.Filters, CreatedAt: s.CreatedAt}
}

// syncResultView is syncResult of sync-source: the original's syncResult
// and what was refused and why.
type syncResultView struct {
	SourceID        string           `json:"sourceId"`
	MirroredCount   int              `json:"mirroredCount"`
	TotalPlugins    int              `json:"totalPlugins"`
	Wanted          int              `json:"wanted"`
	AlreadyMirrored int              `json:"alreadyMirrored"`
	MirroredBytes   int64            `json:"mirroredBytes"`
	Pruned          int              `json:"pruned"`
	Rejected        []rejectionView  `json:"rejected"`
	Revalidation    revalidationView `json:"revalidation"`
}

// revalidationView is what asking the publisher about the versions the
// node holds found (docs/protocol.md, "Revalidating asset files").
type revalidationView struct {
	Revalidated int `json:"revalidated"`
	NoValidator int `json:"noValidator"`
	Downloaded  int `json:"downloaded"`
	Tampered    int `json:"tampered"`
	Failed      int `json:"failed"`
	Deferred    int `json:"deferred"`
}

type rejectionView struct {
	Plugin  string `json:"plugin"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

func viewSyncResult(r app.SyncResult) syncResultView {
	return syncResultView{SourceID: r.SourceID, MirroredCount: r.MirroredCount, TotalPlugins: r.TotalPlugins,
		Wanted: r.Wanted, AlreadyMirrored: r.AlreadyMirrored, MirroredBytes: r.MirroredBytes, Pruned: r.Pruned,
		Rejected: viewAll(r.Rejected, func(r app.Rejection) rejectionView {
			return rejectionView{Plugin: r.Plugin, Version: r.Version, Reason: r.Reason}
		}),
		Revalidation: revalidationView(r.Revalidation)}
}

// subscribeResultView is syncResult of subscribe: the first sync's result,
// whether it ran to the end now (success) or was left to the schedule.
type subscribeResultView struct {
	syncResultView
	Success   bool `json:"success"`
	Scheduled bool `json:"scheduled"`
}

func viewSubscribeResult(r app.SubscribeResult) subscribeResultView {
	return subscribeResultView{syncResultView: viewSyncResult(r.SyncResult), Success: r.Success, Scheduled: r.Scheduled}
}
