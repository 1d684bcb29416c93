package publisher_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

// seen is one request as a test server received it.
type seen struct {
	Method, Path, RawPath, Query, UserAgent, Accept, ContentType, Body string
}

// recorder is a test server's log: the requests it answered and the TCP
// connections it accepted, so a test can prove nothing reached it at all.
type recorder struct {
	mu    sync.Mutex
	reqs  []seen
	conns atomic.Int64
}

func (r *recorder) requests() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// serve starts a real HTTP server on 127.0.0.1 that records every request
// and then hands it to h.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{
			Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			UserAgent: r.UserAgent(), Accept: r.Header.Get("Accept"),
			ContentType: r.Header.Get("Content-Type"), Body: string(body),
		})
		rec.mu.Unlock()
		h(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rec.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, rec
}

// reply answers every request with status, content type and body. An empty
// contentType sends no Content-Type header at all (net/http would otherwise
// sniff one).
func reply(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType == "" {
			w.Header()["Content-Type"] = nil
		} else {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// lenient is a client for tests against httptest servers, which listen on
// loopback.
func lenient(cfg publisher.Config) *publisher.Client {
	cfg.AllowPrivateNetworks = true
	return publisher.New(cfg)
}

// checkMessage holds every error to the package's message rules: one line,
// naming the request, short.
func checkMessage(t *testing.T, err error, wantPrefix string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error message is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, wantPrefix) {
		t.Errorf("error message %q does not start with %q", msg, wantPrefix)
	}
	if len(msg) > 600 {
		t.Errorf("error message is %d bytes long: %q", len(msg), msg)
	}
}

const federationInfoJSON = `{
  "version": "1.0.0",
  "features": ["plugin-distribution", "signature-verification"],
  "assetInfo": {"domain": "https://assets.example.com", "namingScheme": "plugins/author/slug/slug.zip"}
}`

// quietLog discards a test server's own log, for failures a test provokes.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
