package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/migrations"
	"github.com/pfn-network/pfn/migrations/pgtest"
	"github.com/pfn-network/pfn/ports/httpapi"
)

func startAPI(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	api := httpapi.New(httpapi.Deps{
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Readiness: postgres.Readiness{Pool: pool},
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, url, err)
	}
	return resp.StatusCode, body
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	migrated := startAPI(t, pgtest.Pool(t))

	empty, err := pgxpool.New(context.Background(), pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(empty.Close)
	unmigrated := startAPI(t, empty)

	down, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(down.Close)
	noDatabase := startAPI(t, down)

	tests := []struct {
		name       string
		srv        *httptest.Server
		method     string
		path       string
		wantStatus int
		wantField  string
		wantValue  string
	}{
		{"process up", migrated, http.MethodGet, "/healthz", 200, "status", "ok"},
		{"ready", migrated, http.MethodGet, "/readyz", 200, "status", "ready"},
		{"schema not migrated", unmigrated, http.MethodGet, "/readyz", 503, "status", "not ready"},
		{"database unreachable", noDatabase, http.MethodGet, "/readyz", 503, "status", "not ready"},
		{"health needs no database", noDatabase, http.MethodGet, "/healthz", 200, "status", "ok"},
		{"wrong method", migrated, http.MethodPost, "/healthz", 405, "error", "POST /healthz: method not allowed (allowed: OPTIONS, GET)"},
		{"unknown path", migrated, http.MethodGet, "/nope", 404, "error", "no such endpoint: GET /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, tt.srv.URL+tt.path)
			if status != tt.wantStatus || body[tt.wantField] != tt.wantValue {
				t.Fatalf("%s %s = %d %v, want %d with %s=%q", tt.method, tt.path, status, body, tt.wantStatus, tt.wantField, tt.wantValue)
			}
		})
	}
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	if _, body := call(t, http.MethodGet, unmigrated.URL+"/readyz"); body["error"] != fmt.Sprintf("%d migrations not applied (run pfn migrate)", len(all)) {
		t.Fatalf("unmigrated readiness error %q does not say what to do", body["error"])
	}
}
