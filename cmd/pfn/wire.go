package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// readYourWritesTimeout bounds how long a command waits for the read models
// to show what it wrote.
const readYourWritesTimeout = 10 * time.Second

// node is the wired application.
type node struct {
	runner *eventstore.Runner
	app    *httpapi.App
}

func wire(ctx context.Context, cfg Config, log *slog.Logger, pool *pgxpool.Pool) (*node, error) {
	runner, err := eventstore.NewRunner(pool, log, eventstore.RunnerConfig{PollInterval: 200 * time.Millisecond},
		postgres.SourceProjection{}, postgres.KeyProjection{}, postgres.SubscriptionProjection{}, postgres.MirrorProjectionHandler{})
	if err != nil {
		return nil, err
	}
	blobs, err := blob.Open(ctx, cfg.BlobStore)
	if err != nil {
		return nil, fmt.Errorf("PFN_BLOB_STORE: %w", err)
	}
	signer, err := nodekey.LoadOrCreate(cfg.NodeKeyFile)
	if err != nil {
		return nil, fmt.Errorf("PFN_NODE_KEY_FILE: %w", err)
	}
	store := eventstore.New(pool)
	waiter := boundedWaiter{runner}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter}
	reader := postgres.SourceReader{Pool: pool}
	keys := postgres.KeyStore{Pool: pool, Store: store, Waiter: waiter}
	client := publisher.New(publisher.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks})
	pub := publisherPort{client}
	now := func() time.Time { return time.Now().UTC() }
	verify := app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}
	subs := postgres.SubscriptionRepository{Store: store, Waiter: waiter}
	subReader := postgres.SubscriptionReader{Pool: pool}
	plugins := postgres.PluginReader{Pool: pool}
	sync := app.SyncSource{Sources: sources, Subscriptions: subReader, Catalog: catalogPort{client},
		Histories: postgres.PluginHistories{Pool: pool, Store: store, Waiter: waiter}, Blobs: blobPort{blobs},
		Signer: signerPort{signer}, Locker: postgres.SyncLock{Pool: pool}, MaxBytes: cfg.MaxPluginBytes,
		Parallelism: 4, Now: now}
	find := app.FindPlugin{Plugins: plugins}
	return &node{runner: runner, app: &httpapi.App{
		Authenticate:    app.Authenticate{Keys: keys, MasterKey: cfg.MasterKey},
		CreateKey:       app.CreateKey{Keys: keys, Random: rand.Reader, Now: now},
		RevokeKey:       app.RevokeKey{Keys: keys, Now: now},
		AddSource:       app.AddSource{Sources: sources, Verify: verify, Now: now},
		VerifySource:    verify,
		UpdateSource:    app.UpdateSource{Sources: sources, Publisher: pub, Now: now},
		ListSources:     app.ListSources{Sources: reader},
		GetSourceStatus: app.GetSourceStatus{Sources: reader},
		SourceReader:    reader,
		Subscribe:       app.Subscribe{Sources: sources, Subscriptions: subs, Reader: subReader, Sync: sync, Now: now},
		Unsubscribe:     app.Unsubscribe{Sources: sources, Subscriptions: subs, Reader: subReader, Now: now},
		Subscriptions:   app.ListSubscriptions{Reader: subReader},
		SyncNow:         app.SyncNow{Sync: sync},
		ListPlugins:     app.ListPlugins{Plugins: plugins},
		FindPlugin:      find,
		VerifyMirrored:  app.VerifyMirrored{Find: find, Sources: reader, Blobs: blobPort{blobs}, Verifier: signerPort{signer}},
		Blobs:           blobPort{blobs},
		PublicCatalog:   cfg.PublicCatalog,
		NodeInfo: httpapi.NodeInfo{Version: "1.0.0", Features: []string{"plugin-distribution", "signature-verification", "federation-signature"},
			Node: "pfn " + version, PublicKey: signer.PublicKeyPEM(), KeyID: signer.KeyID()},
	}}, nil
}

// api builds the HTTP handler.
func (n *node) api(log *slog.Logger, pool *pgxpool.Pool) *echo.Echo {
	return httpapi.New(httpapi.Deps{Log: log, Readiness: postgres.Readiness{Pool: pool}, App: n.app})
}

type boundedWaiter struct{ r *eventstore.Runner }

func (w boundedWaiter) WaitFor(ctx context.Context, projection string, pos eventstore.Position) error {
	ctx, cancel := context.WithTimeout(ctx, readYourWritesTimeout)
	defer cancel()
	return w.r.WaitFor(ctx, projection, pos)
}

// runProjections keeps the read models current in the background until the
// returned stop is called (stop waits for the consumers to finish).
func (n *node) runProjections(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.runner.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
