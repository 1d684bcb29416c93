package publisher_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/domain"
)

// The log fetcher reads below <instance>/federation/log/ within the
// client's rules: only the log's own paths, the caller's byte cap, a 2xx
// status, the client's deadline.
func TestLogFetcher(t *testing.T) {
	t.Parallel()
	tile := strings.Repeat("h", 8192)
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/base/federation/log/checkpoint":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("pfn/x\n1\nAA==\n\n— pfn/x sig\n"))
		case "/base/federation/log/tile/0/000":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte(tile))
		case "/base/federation/log/tile/entries/000.p/3":
			time.Sleep(2 * time.Second)
		default:
			http.Error(w, `{"error":"no such tile"}`, http.StatusNotFound)
		}
	})
	c := lenient(publisher.Config{Timeout: 500 * time.Millisecond})
	f, err := c.LogFetcher(srv.URL + "/base/")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Fetch(t.Context(), "checkpoint", 16<<10); err != nil || !strings.HasPrefix(string(got), "pfn/x\n1\n") {
		t.Fatalf("checkpoint: %q, %v", got, err)
	}
	if got, err := f.Fetch(t.Context(), "tile/0/000", 8192); err != nil || len(got) != 8192 {
		t.Fatalf("tile: %d bytes, %v", len(got), err)
	}
	if _, err := f.Fetch(t.Context(), "tile/0/000", 8191); !errors.Is(err, publisher.ErrIncompatible) || !strings.Contains(err.Error(), "8191 bytes") {
		t.Fatalf("a tile over the cap: %v", err)
	}
	if _, err := f.Fetch(t.Context(), "tile/1/000", 8192); !errors.Is(err, publisher.ErrIncompatible) || !strings.Contains(err.Error(), "status 404") {
		t.Fatalf("a missing tile: %v", err)
	}
	if _, err := f.Fetch(t.Context(), "tile/entries/000.p/3", 1<<20); !errors.Is(err, publisher.ErrUnreachable) {
		t.Fatalf("a slow answer: %v", err)
	}
	before := len(rec.requests())
	for _, bad := range []string{"../../admin", "tile/0/7", "checkpoint/../x", "", "tile/8/0/000"} {
		if _, err := f.Fetch(t.Context(), bad, 100); err == nil {
			t.Errorf("path %q fetched", bad)
		}
	}
	if n := len(rec.requests()); n != before {
		t.Fatalf("bad paths reached the server: %d requests", n-before)
	}
	if _, err := c.LogFetcher("ftp://x"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("a bad instance URL: %v", err)
	}
}

// A private address is refused by the guarded client, whatever the path.
func TestLogFetcherRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	f, err := publisher.New(publisher.Config{}).LogFetcher(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), "checkpoint", 100); !errors.Is(err, publisher.ErrForbiddenAddress) {
		t.Fatalf("loopback: %v", err)
	}
	if rec.conns.Load() != 0 {
		t.Fatal("the server was reached")
	}
}
