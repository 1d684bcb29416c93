package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// Bad input to the change feed is a 400 JSON problem naming the parameter
// (or header) before anything is read; the feed is as public as the
// catalogue: with PFN_PUBLIC_CATALOG=false it needs a key.
func TestChangeFeedRefusesBadInput(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	public := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log, App: &httpapi.App{PublicCatalog: true, Log: log}}))
	t.Cleanup(public.Close)
	cases := []struct {
		name, query, accept, lastEventID, field string
	}{
		{"negative cursor", "after=-1", "", "", "after"},
		{"cursor with a sign", "after=%2B5", "", "", "after"},
		{"cursor not a number", "after=abc", "", "", "after"},
		{"cursor beyond int64", "after=9223372036854775808", "", "", "after"},
		{"limit zero", "limit=0", "", "", "limit"},
		{"limit above the cap", "limit=1001", "", "", "limit"},
		{"limit not a number", "limit=many", "", "", "limit"},
		{"wait not a duration", "wait=30", "", "", "wait"},
		{"wait above 60s", "wait=61s", "", "", "wait"},
		{"negative wait", "wait=-1s", "", "", "wait"},
		{"bad source", "source=nobody", "", "", "source"},
		{"bad Last-Event-ID on a stream", "", "text/event-stream", "x1", "Last-Event-ID"},
		{"bad cursor on an NDJSON stream", "after=-3", "application/x-ndjson", "", "after"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, public.URL+"/federation/changes?"+tc.query, nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			if tc.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tc.lastEventID)
			}
			status, body := doJSON(t, req)
			if status != http.StatusBadRequest || body["field"] != tc.field || body["error"] == "" {
				t.Fatalf("= %d %v, want 400 naming %s", status, body, tc.field)
			}
		})
	}

	private := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log, App: &httpapi.App{PublicCatalog: false, Authenticate: rolesKeys{}, Log: log}}))
	t.Cleanup(private.Close)
	req, _ := http.NewRequest(http.MethodGet, private.URL+"/federation/changes?limit=0", nil)
	if status, body := doJSON(t, req); status != http.StatusUnauthorized {
		t.Fatalf("private catalogue without a key = %d %v, want 401", status, body)
	}
	req.Header.Set("Authorization", "Bearer consumer")
	if status, body := doJSON(t, req); status != http.StatusBadRequest || body["field"] != "limit" {
		t.Fatalf("private catalogue with a consumer key = %d %v, want the handler's 400", status, body)
	}
}

func doJSON(t *testing.T, req *http.Request) (int, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
		t.Fatalf("content type %q", ct)
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", raw, err)
	}
	return resp.StatusCode, body
}

// oneChange is a feed of one change that never grows.
type oneChange struct{}

func (oneChange) Changes(_ context.Context, after int64, _ int, _ domain.SourceID) ([]app.Change, error) {
	if after >= 1 {
		return nil, nil
	}
	return []app.Change{{Cursor: 1, CatalogChange: domain.CatalogChange{Kind: domain.ChangeSourceRemoved, Source: "a@h.example:1",
		Reason: "gone", At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}}, nil
}

func (oneChange) FeedHead(context.Context) (int64, error) { return 1, nil }

// A stream is bounded: idle, it sends heartbeats (often enough for the
// server's stalled-stream deadline), and it ends after FeedStreamMax so that
// its client reconnects.
func TestChangeFeedStreamsHeartbeatAndEnd(t *testing.T) {
	t.Parallel()
	log, watch := feedWatcher(t)
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log,
		Limits: httpapi.Limits{RequestTimeout: 200 * time.Millisecond, WriteTimeout: time.Second, FeedStreamMax: 700 * time.Millisecond},
		App:    &httpapi.App{PublicCatalog: true, Log: log, ListChanges: app.ListChanges{Reader: oneChange{}, Watch: watch}}}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ accept, first, heartbeat string }{
		{"application/x-ndjson", `{"cursor":"1","kind":"source.removed","source":"a@h.example:1","reason":"gone","at":"2026-12-01T00:00:00Z"}`, "}\n\n"},
		{"text/event-stream", "id: 1", "\n: keep-alive\n\n"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/federation/changes", nil)
			req.Header.Set("Accept", tc.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body) // returns: the stream ends
			if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.accept {
				t.Fatalf("= %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
			}
			lines := strings.Split(string(raw), "\n")
			if lines[0] != tc.first || !strings.Contains(string(raw), tc.heartbeat) || strings.Count(string(raw), tc.first) != 1 {
				t.Fatalf("stream %q", raw)
			}
		})
	}
}
