package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

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

func wire(cfg Config, log *slog.Logger, pool *pgxpool.Pool) (*node, error) {
	runner, err := eventstore.NewRunner(pool, log, eventstore.RunnerConfig{PollInterval: 20 * time.Millisecond},
		postgres.SourceProjection{}, postgres.KeyProjection{})
	if err != nil {
		return nil, err
	}
	store := eventstore.New(pool)
	waiter := boundedWaiter{runner}
	sources := postgres.SourceRepository{Store: store, Waiter: waiter}
	reader := postgres.SourceReader{Pool: pool}
	keys := postgres.KeyStore{Pool: pool, Store: store, Waiter: waiter}
	pub := publisherPort{publisher.New(publisher.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks})}
	now := func() time.Time { return time.Now().UTC() }
	verify := app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}
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
