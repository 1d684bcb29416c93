package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/adapters/metrics"
	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// readYourWritesTimeout bounds how long a command waits for the read models
// to show what it wrote: the projections apply a write in milliseconds, so
// 10s is reached only when one is stuck, and the wait then ends instead of
// holding the request.
const readYourWritesTimeout = 10 * time.Second

// node is the wired application.
type node struct {
	runner    *eventstore.Runner
	app       *httpapi.App
	metrics   *metrics.Registry
	readiness httpapi.ReadinessChecker
	blobs     blob.Store     // probed by serve before it listens
	scheduler *app.Scheduler // nil when PFN_SCHEDULER=false
	feed      *app.FeedWatcher
	removals  app.FinishRemoval
	// sweepEvery is PFN_REMOVAL_SWEEP_INTERVAL (runRemovalSweep).
	sweepEvery time.Duration
	// catalog keeps the listings' answers; watchCatalog ends its entries
	// when the catalogue position moves.
	catalog         *httpapi.Materialized
	catalogPosition httpapi.PositionFunc
}

func wire(ctx context.Context, cfg Config, log *slog.Logger, pool *pgxpool.Pool) (*node, error) {
	runner, err := eventstore.NewRunner(pool, log, eventstore.RunnerConfig{PollInterval: projectionPollInterval}, nodeProjections(cfg.TransparencyLog)...)
	if err != nil {
		return nil, err
	}
	reg := metrics.New(runner.Lag)
	blobs, err := blob.Open(ctx, cfg.BlobStore)
	if err != nil {
		return nil, fmt.Errorf("PFN_BLOB_STORE: %w", err)
	}
	ring, err := nodekey.LoadKeyring(cfg.NodeKeyFile)
	if err != nil {
		return nil, fmt.Errorf("PFN_NODE_KEY_FILE: %w", err)
	}
	signer := ring.Signer()
	store := eventstore.New(pool)
	catalog := httpapi.NewMaterialized(httpapi.MaterializedLimits{Entries: catalogCacheEntries, Bytes: catalogCacheBytes})
	// A write this process waited for ends the cached answers at once:
	// the next read renders them from the read models that show it.
	waiter := boundedWaiter{r: runner, shown: catalog.Invalidate}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter, Pool: pool}
	reader := postgres.SourceReader{Pool: pool}
	rawKeys := postgres.KeyStore{Pool: pool, Store: store, Waiter: waiter}
	keys := &app.CachedKeys{KeyStore: rawKeys, TTL: keyCacheTTL, Max: keyCacheEntries, Now: time.Now}
	client := publisher.New(publisher.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks, MaxListing: cfg.Sync.MaxListing,
		MinDownloadRate: cfg.Sync.MinDownloadRate, RateWindow: cfg.Sync.RateWindow})
	pub := publisherPort{client}
	now := func() time.Time { return time.Now().UTC() }
	verify := app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: reader, Now: now}
	subs := postgres.SubscriptionRepository{Store: store, Waiter: waiter}
	subReader := postgres.SubscriptionReader{Pool: pool}
	plugins := postgres.PluginReader{Pool: pool}
	gate := app.SyncGate{Slots: app.NewSyncSlots(cfg.Limits.MaxSyncs), Locks: postgres.SyncLock{Pool: pool}}
	histories := postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter}
	sync := app.SyncSource{Sources: sources, Subscriptions: subReader, Catalog: catalogPort{client},
		Histories: histories, Blobs: blobPort{blobs},
		Signer: signerPort{signer, ring}, Locker: gate.Within(apiSyncWait), MaxBytes: cfg.MaxPluginBytes,
		MaxFiles: cfg.Sync.MaxFiles, MaxSyncBytes: cfg.Sync.MaxBytes, Parallelism: cfg.Sync.Parallelism, KeepVersions: cfg.Ops.KeepVersions, QuotaBytes: cfg.Ops.SourceQuota, Usage: plugins, Metrics: reg, Now: now,
		Revalidate:      app.RevalidateConfig{Max: cfg.Sync.RevalidateMax, Timeout: cfg.Sync.RevalidateTimeout},
		RequireAttested: cfg.Sync.RequireAttested, FullListingEvery: cfg.Ops.RecheckInterval, Announced: app.AnnouncedKeys{Publisher: pub, Random: rand.Reader, Keys: reader}}
	sync.Logs = logPort{client} // an upstream node's transparency log (issue #16)
	firstSync, scheduledSync := sync, sync
	firstSync.Locker, scheduledSync.Locker = gate.Within(firstSyncWait), gate.Within(scheduledSyncWait)
	find := app.FindPlugin{Plugins: plugins, Sources: reader}
	changes := postgres.ChangeFeed{Pool: pool}
	feed := app.NewFeedWatcher(changes, feedWatchInterval, log)
	finish := app.FinishRemoval{Sources: sources, Subscriptions: subs, Subscribers: subReader, Blobs: blobPort{blobs},
		Unfinished: reader, Locker: gate.Within(firstSyncWait), Timeout: cfg.Ops.RemovalSweep, Now: now}
	var scheduler *app.Scheduler
	if cfg.Ops.Scheduler {
		scheduler = &app.Scheduler{Jobs: postgres.Jobs{Pool: pool},
			Health: app.CheckHealth{Sources: sources, Health: postgres.HealthRepository{Store: store}, Publisher: pub, Metrics: reg,
				Random: rand.Reader, Keys: reader, Now: now},
			Sync: scheduledSync, Verify: verify, Timeout: cfg.Limits.JobTimeout,
			Schedule: app.Schedule{HealthInterval: cfg.Ops.HealthInterval, SyncInterval: cfg.Ops.SyncInterval,
				ReverifyInterval: cfg.Ops.ReverifyInterval, RecheckInterval: cfg.Ops.RecheckInterval, RetryBase: cfg.Ops.RetryBase, MaxRetries: syncMaxRetries},
			Owner: schedulerOwner(), Lease: cfg.Ops.JobLease, Tick: schedulerTick(cfg.Ops), PlanEach: schedulerTicksPerPlan * schedulerTick(cfg.Ops),
			Workers: schedulerWorkers, SyncWorkers: cfg.Limits.MaxSyncs, Log: log}
	}
	revokeKey := app.RevokeKey{Keys: keys, Sources: sources, Subscriptions: subs, Reader: subReader,
		Shown: postgres.CatchUp{Pool: pool, Waiter: waiter, Projection: postgres.SubscriptionsProjection}, Now: now}
	position := postgres.CatalogPosition{Pool: pool, Projections: postgres.CatalogProjections, Tables: postgres.CatalogTables}
	n := &node{runner: runner, metrics: reg, catalog: catalog, feed: feed, catalogPosition: position.Position, scheduler: scheduler, blobs: blobs, removals: finish, sweepEvery: cfg.Ops.RemovalSweep,
		readiness: readinessChecks{postgres.Readiness{Pool: pool, Lag: runner.Lag, MaxLag: cfg.Ops.ReadyMaxLag}, blobReadiness(blobs)}, app: &httpapi.App{
			Authenticate:  app.Authenticate{Keys: keys, MasterKey: cfg.MasterKey},
			CreateKey:     app.CreateKey{Keys: keys, Random: rand.Reader, Now: now},
			RevokeKey:     revokeKey,
			AddSource:     app.AddSource{Sources: sources, Keys: reader, Verify: verify, Now: now},
			VerifySource:  verify,
			UpdateSource:  app.UpdateSource{Sources: sources, Publisher: pub, Random: rand.Reader, Keys: reader, Now: now},
			Yank:          app.Yank{Sources: sources, Histories: sync.Histories, Now: now},
			Unyank:        app.Unyank{Sources: sources, Histories: sync.Histories, Now: now},
			SuspendSource: app.SuspendSource{Sources: sources, Now: now},
			ResumeSource:  app.ResumeSource{Sources: sources, Now: now},
			RemoveSource: app.RemoveSource{Sources: sources, Histories: histories, Plugins: histories,
				Locker: gate.Within(apiSyncWait), Finish: finish, Now: now, Log: log},
			AcceptUpstreamLog: app.AcceptUpstreamLog{Sources: sources, Now: now},

			ListSources:     app.ListSources{Sources: reader},
			GetSourceStatus: app.GetSourceStatus{Sources: reader},
			SourceStatusAt:  app.GetSourceStatusAt{History: postgres.SourceHistory{Store: store}},
			ListEvents:      app.ListEvents{Log: postgres.EventLog{Store: store}},
			PeerInfo:        app.GetPeerInfo{Peers: peerPort{client}, Timeout: cfg.Limits.PeerInfoTimeout},
			Log:             log,
			SourceReader:    reader,
			ResolveSource:   app.SourceResolver{Sources: reader},
			Subscribe: app.Subscribe{Sources: sources, Subscriptions: subs, Reader: subReader, Sync: firstSync,
				Jobs: postgres.Jobs{Pool: pool}, Revocations: rawKeys, SyncTimeout: cfg.Limits.JobTimeout, Now: now},
			Unsubscribe:    app.Unsubscribe{Sources: sources, Subscriptions: subs, Reader: subReader, Now: now},
			Subscriptions:  app.ListSubscriptions{Reader: subReader},
			SyncNow:        app.SyncNow{Sync: sync, Jobs: postgres.Jobs{Pool: pool}, Timeout: cfg.Limits.JobTimeout},
			ListActivity:   app.ListActivity{Reader: postgres.ActivityReader{Pool: pool}},
			ListPlugins:    app.ListPlugins{Plugins: plugins},
			ListChanges:    app.ListChanges{Reader: changes, Watch: feed},
			FindPlugin:     find,
			VerifyMirrored: app.VerifyMirrored{Find: find, Sources: reader, Verifier: signerPort{signer, ring}},
			AuthorData:     app.ListAuthorData{Sources: reader, Plugins: plugins, Signer: signer},
			ProveOwnership: app.ProveNodeOwnership{Sources: reader, Signer: signer},
			Blobs:          blobPort{blobs},
			PublicCatalog:  cfg.PublicCatalog,
			PublicURL:      cfg.PublicURL,
			Catalog:        catalog,
			Compat:         cfg.HTTP.Compat,
			NodeInfo: httpapi.NodeInfo{Version: federationProtocolVersion, Features: federationFeatures,
				Node: "pfn " + version, PublicKey: signer.PublicKeyPEM(), KeyID: signer.KeyID(), NodeKeys: nodeKeys(ring)},
		}}
	if cfg.TransparencyLog {
		if err := serveLog(n.app, cfg, ring, postgres.LogReader{Pool: pool}); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// boundedWaiter waits for the read models to show a write, within
// readYourWritesTimeout, and then calls shown.
type boundedWaiter struct {
	r     *eventstore.Runner
	shown func()
}

func (w boundedWaiter) WaitFor(ctx context.Context, projection string, pos eventstore.Position) error {
	ctx, cancel := context.WithTimeout(ctx, readYourWritesTimeout)
	defer cancel()
	if err := w.r.WaitFor(ctx, projection, pos); err != nil {
		return err
	}
	if w.shown != nil {
		w.shown()
	}
	return nil
}

// runProjections keeps the read models current in the background until the
// returned stop is called (stop waits for the consumers to finish).
func (n *node) runProjections(ctx context.Context) (stop func()) {
	return background(ctx, n.runner.Run)
}

// background runs fn until the returned stop is called; stop waits for fn
// to return.
func background(ctx context.Context, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// watchFeed runs the change feed's watcher until ctx ends; then every
// waiting reader is answered, so long polls and streams do not hold up the
// shutdown.
func (n *node) watchFeed(ctx context.Context) (stop func()) {
	return background(ctx, n.feed.Run)
}

// schedulerOwner names this process in job leases. Host and pid are for
// people reading the jobs table; the random part keeps two processes
// apart that share both (containers that each run pfn as pid 1 under one
// hostname), since the scheduler frees every lease of its owner that it
// does not run.
func schedulerOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%s/%d", host, rand.Text()[:8], os.Getpid()) // the pid last: tests read it
}

// schedulerTick is how often the scheduler looks for due jobs: every
// second, or more often when an interval is shorter (tests run on seconds);
// the bounds are explained beside schedulerMaxTick.
func schedulerTick(o OpsConfig) time.Duration {
	tick := schedulerMaxTick
	for _, d := range []time.Duration{o.HealthInterval, o.SyncInterval, o.ReverifyInterval, o.RecheckInterval, o.RetryBase, o.JobLease / 3} {
		tick = min(tick, max(d/4, schedulerMinTick))
	}
	return tick
}

// runScheduler runs scheduled work until the returned stop is called.
func (n *node) runScheduler(ctx context.Context) (stop func()) {
	if n.scheduler == nil {
		return func() {}
	}
	return background(eventstore.WithActor(ctx, actorScheduler), n.scheduler.Run)
}

// nodeKeys lists the node's keys for /federation-info, the current one first.
func nodeKeys(ring *nodekey.Keyring) []httpapi.NodeKey {
	var keys []httpapi.NodeKey
	for _, k := range ring.Keys() {
		keys = append(keys, httpapi.NodeKey{KeyID: k.KeyID, PublicKey: k.PublicKeyPEM, ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil})
	}
	return keys
}
