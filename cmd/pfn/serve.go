package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// serveCommand runs pfn serve: every flag of the configuration.
func serveCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stderr io.Writer) error {
	setUsage(fs, "pfn serve [flags]", "Migrate the database, then serve the API, the admin page and the scheduler until SIGINT or SIGTERM.")
	cfg, err := commandConfig(getenv, fs, args, allFlags)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(cfg, stderr))
}

// serve runs the node until ctx ends (SIGINT/SIGTERM), then drains requests
// for at most cfg.ShutdownTimeout and stops the projections.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx = eventstore.WithActor(ctx, actorNode)
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()

	n, err := wire(ctx, cfg, log, pool)
	if err != nil {
		return err
	}
	if err := checkBlobStore(ctx, cfg.BlobStore, n.blobs); err != nil {
		return err
	}
	api := n.api(log, cfg.HTTP)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (set PFN_LISTEN): %w", cfg.Listen, err)
	}
	srv := httpapi.NewServer(api, cfg.HTTP.Limits)
	stopMetrics := n.serveMetrics(cfg.HTTP, log)

	// The projections outlive ctx: they stop after the last request drained.
	stopProjections := n.runProjections(context.WithoutCancel(ctx))
	stopScheduler := n.runScheduler(ctx)
	stopSweep := n.runRemovalSweep(ctx, log)
	stopFeed := n.watchFeed(ctx)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("pfn node serving", "addr", ln.Addr().String(), "version", version, "database", redactURL(cfg.DatabaseURL))

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		err = srv.Shutdown(shutdownCtx)
		stopMetrics(shutdownCtx)
		cancel()
	}
	stopScheduler()
	stopSweep()
	stopFeed()
	stopProjections()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err == nil {
		log.Info("stopped")
	}
	return err
}
