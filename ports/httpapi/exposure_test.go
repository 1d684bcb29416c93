package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/metrics"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// /readyz answers anyone: a generic reason, the database's own words only
// in the log. /metrics is not on the API at all (pfn serve gives it a
// listener of its own).
func TestReadinessAndMetricsExposeNothingInternal(t *testing.T) {
	t.Parallel()
	down, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(down.Close)
	var logs syncBuffer
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Readiness: postgres.Readiness{Pool: down}, Metrics: metrics.New(nil)}))
	t.Cleanup(srv.Close)

	status, body := call(t, http.MethodGet, srv.URL+"/readyz")
	if status != http.StatusServiceUnavailable || body["error"] != "database unavailable" {
		t.Fatalf("/readyz = %d %v, want 503 saying only \"database unavailable\"", status, body)
	}
	for _, raw := range []string{"127.0.0.1", "connect", "dial", "refused"} {
		if strings.Contains(body["error"], raw) {
			t.Fatalf("/readyz body %v shows %q", body, raw)
		}
	}
	if !strings.Contains(logs.String(), "127.0.0.1:1") {
		t.Fatalf("the log lacks the details: %s", logs.String())
	}
	if status, body := call(t, http.MethodGet, srv.URL+"/metrics"); status != http.StatusNotFound {
		t.Fatalf("/metrics on the API = %d %v, want 404", status, body)
	}
}
