package main

import (
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/eventstore"
)

// nodeProjections are the read models a node keeps current. Each consumer
// holds one pooled connection while it polls or applies a page, so their
// number is part of the pool's size (LimitsConfig.minConns).
func nodeProjections() []eventstore.Projection {
	return []eventstore.Projection{postgres.SourceProjection{}, postgres.KeyProjection{}, postgres.SubscriptionProjection{},
		postgres.MirrorProjectionHandler{}, postgres.ActivityProjection{}, postgres.CatalogChanges{}}
}

var projectionCount = len(nodeProjections())

// How long each caller waits for a sync slot and its source's lock before
// the sync answers app.ErrBusy. Nothing is held meanwhile.
const (
	// A subscriber's answer does not wait longer: its first sync is then
	// left to the scheduler (made due at once).
	firstSyncWait = 2 * time.Second
	// An admin's POST /federation/sync-source waits this long, then 409.
	apiSyncWait = time.Minute
	// A scheduled job that waited this long is tried again shortly,
	// without counting a failure.
	scheduledSyncWait = 10 * time.Second
)
