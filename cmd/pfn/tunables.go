package main

import "time"

// The fixed numbers of the wiring, each with why it is what it is. What an
// operator would plausibly tune is configuration instead (Config); these are
// properties of the code or of the protocol.

// federationProtocolVersion is the version of the federation protocol this
// node speaks, announced by GET /federation/info. It changes with the
// protocol, never per deployment, so it is no setting.
const federationProtocolVersion = "1.0.0"

// federationFeatures are the protocol features this node implements,
// announced beside federationProtocolVersion.
// "pfn-node/v1": it answers the publisher protocol for the sources it
// mirrors (docs/protocol.md, "A node as a publisher"); "change-feed": it
// serves GET /federation/changes (docs/feed.md).
var federationFeatures = []string{"plugin-distribution", "signature-verification", "federation-signature", "pfn-node/v1", "change-feed"}

// syncMaxRetries is how many times a failed sync is retried before the
// source waits for its regular schedule again; the waits start at
// PFN_RETRY_BASE and double each time, so 5 retries span 31 × the base
// (a day and more at the default 1h) before the node stops insisting.
const syncMaxRetries = 5

// projectionPollInterval is how long a caught-up projection consumer waits
// before polling the log again. A command waiting to read its own writes
// wakes its projection at once (Runner.WaitFor), so this only bounds how late
// the read models show events nobody waits for (another node's, say);
// shorter would poll an idle database more often for nothing.
const projectionPollInterval = 200 * time.Millisecond

// feedWatchInterval is how often the change feed's watcher reads the
// feed's head while readers wait (app.FeedWatcher). With the projection's
// poll above, a long poll answers well within a second of a commit, also
// of another node's.
const feedWatchInterval = 150 * time.Millisecond

// The scheduler's timing (schedulerTick). It looks for due jobs every
// second, or more often when an interval is short (tests run on seconds),
// but never more often than every 50ms, which would be a busy loop on the
// jobs table; and it re-plans (adds and drops jobs as sources change) every
// tenth tick, since sources change far more rarely than jobs fall due.
const (
	schedulerMaxTick      = time.Second
	schedulerMinTick      = 50 * time.Millisecond
	schedulerTicksPerPlan = 10
)

// The blob store's part of /readyz: each probe is bounded well inside the
// readiness deadline, and its answer is reused for a few seconds so that a
// load balancer polling /readyz does not turn into a write load on the store.
const (
	blobReadyTimeout = time.Second
	blobReadyTTL     = 3 * time.Second
)

// The database connection's bounds (connect), used unless the URL sets its
// own: connecting waits at most 5s (a server that is there answers in
// milliseconds), a ping of an idle connection 2s, and a transaction left
// idle is ended by the server after 60s.
const (
	dbConnectTimeout         = 5 * time.Second
	dbPingTimeout            = 2 * time.Second
	dbIdleInTransactionLimit = 60 * time.Second
)

// The catalogue's in-memory answers (httpapi.Materialized). The watcher
// reads the catalogue position every catalogWatchInterval, so a write by
// another node sharing the database is shown here that much later at most
// (this node's own writes at once). The caps bound its memory: a listing
// is tens of KB, and the keys are the query parameters, so a client making
// up queries only turns the entries over.
const (
	catalogWatchInterval = 100 * time.Millisecond
	catalogCacheEntries  = 1024
	catalogCacheBytes    = 64 << 20
)

// API keys' look-ups are remembered for keyCacheTTL: a key revoked on
// another node sharing the database is refused here within it (on this
// node at once). keyCacheEntries bounds the memory.
const (
	keyCacheTTL     = 500 * time.Millisecond
	keyCacheEntries = 10000
)
