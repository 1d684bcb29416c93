package main

import (
	"time"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/eventstore"
)

// nodeProjections are the read models a node keeps current; the
// transparency log only when it is on (PFN_TRANSPARENCY_LOG). Each consumer
// holds one pooled connection while it polls or applies a page, so their
// number is part of the pool's size (LimitsConfig.minConns).
func nodeProjections(transparencyLog bool) []eventstore.Projection {
	ps := []eventstore.Projection{postgres.SourceProjection{}, postgres.KeyProjection{}, postgres.SubscriptionProjection{},
		postgres.MirrorProjectionHandler{}, postgres.ActivityProjection{}, postgres.CatalogChanges{}}
	if transparencyLog {
		ps = append(ps, postgres.TransparencyLog{Leaf: nodekey.LogLeaf})
	}
	return ps
}

// projectionCount counts the log's consumer whether it is on or not: the
// pool's minimum does not change with it.
var projectionCount = len(nodeProjections(true))

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
