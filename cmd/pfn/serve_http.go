package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/ports/httpapi"
)

// api builds the HTTP handler of the public API.
func (n *node) api(log *slog.Logger, cfg HTTPConfig) *echo.Echo {
	return httpapi.New(httpapi.Deps{Log: log, Readiness: n.readiness, App: n.app, Metrics: n.metrics,
		Limits: cfg.Limits, TrustedProxies: cfg.Proxies()})
}

// serveMetrics serves /metrics on its own listener (PFN_METRICS_LISTEN,
// loopback by default): the series name key ids and sources, which the
// public API port must not show. A listener that cannot be opened is
// logged and the node serves without metrics: the API matters more than
// its instrumentation. The returned stop closes the listener.
func (n *node) serveMetrics(cfg HTTPConfig, log *slog.Logger) (stop func(context.Context)) {
	if cfg.MetricsListen == "" {
		return func(context.Context) {}
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		log.Error("metrics listener not started; /metrics is not served", "addr", cfg.MetricsListen,
			"err", fmt.Errorf("set PFN_METRICS_LISTEN to a free address or off: %w", err))
		return func(context.Context) {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", n.metrics.Handler())
	srv := httpapi.NewServer(mux, cfg.Limits)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics serving", "addr", ln.Addr().String())
	return func(ctx context.Context) { _ = srv.Shutdown(ctx) }
}

// watchCatalog ends the catalogue's in-memory answers whenever the
// catalogue position moves, until the returned stop is called.
func (n *node) watchCatalog(ctx context.Context, log *slog.Logger) (stop func()) {
	return background(ctx, func(ctx context.Context) {
		n.catalog.Watch(ctx, n.catalogPosition, catalogWatchInterval, log)
	})
}
