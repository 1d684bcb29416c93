package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// feedServer serves the change feed of reader with a page cache, the
// given resolver and cap on waiters.
func feedServer(t *testing.T, reader app.ChangeReader, resolve app.SourceResolver, maxWaiters int) string {
	t.Helper()
	log, watch := feedWatcher(t)
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log,
		Limits: httpapi.Limits{FeedMaxWaiters: maxWaiters, FeedStreamMax: time.Second},
		App: &httpapi.App{PublicCatalog: true, Log: log, ResolveSource: resolve,
			Catalog:     httpapi.NewMaterialized(httpapi.MaterializedLimits{Entries: 16, Bytes: 1 << 20}),
			ListChanges: app.ListChanges{Reader: reader, Watch: watch}}}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// feedWatcher runs a watcher of oneChange's feed (whose head never grows)
// for the test.
func feedWatcher(t *testing.T) (*slog.Logger, *app.FeedWatcher) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	watch := app.NewFeedWatcher(oneChange{}, 10*time.Millisecond, log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go watch.Run(ctx)
	return log, watch
}

func getFeed(t *testing.T, url, accept string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func varies(resp *http.Response) []string {
	var out []string
	for _, v := range resp.Header.Values("Vary") {
		for part := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// One URL answers a JSON page, an event stream or NDJSON: every answer,
// kept pages and 304s included, says it varies by Accept.
func TestChangeFeedVariesByAccept(t *testing.T) {
	t.Parallel()
	url := feedServer(t, oneChange{}, app.SourceResolver{}, 4) + "/federation/changes"
	first := getFeed(t, url, "")
	again := getFeed(t, url, "application/json") // from the cache
	notModified := getFeed(t, url, "", "If-None-Match", first.Header.Get("ETag"))
	stream := getFeed(t, url+"?after=1", "application/x-ndjson")
	for name, resp := range map[string]*http.Response{"page": first, "kept page": again, "304": notModified, "stream": stream} {
		if v := varies(resp); !slices.Contains(v, "Accept") {
			t.Errorf("%s (%d): Vary %q, want Accept", name, resp.StatusCode, v)
		}
	}
	if first.StatusCode != http.StatusOK || notModified.StatusCode != http.StatusNotModified ||
		!slices.Contains(varies(again), "Accept-Encoding") {
		t.Fatalf("= %d, %d, Vary %q", first.StatusCode, notModified.StatusCode, varies(again))
	}
}

// sourceIDs is the sources read model's lookup behind port-less ids.
type sourceIDs []domain.SourceID

func (s sourceIDs) SourceIDsWithPrefix(_ context.Context, prefix string) ([]domain.SourceID, error) {
	var out []domain.SourceID
	for _, id := range s {
		if strings.HasPrefix(string(id), prefix) {
			out = append(out, id)
		}
	}
	return out, nil
}

// bySource has one change of a@h.example:1, found only by its full id.
type bySource struct{}

func (bySource) Changes(ctx context.Context, after int64, limit int, source domain.SourceID) ([]app.Change, error) {
	if source != "" && source != "a@h.example:1" {
		return nil, nil
	}
	return oneChange{}.Changes(ctx, after, limit, source)
}

// The source filter takes the ids /federation/plugins takes: a port-less id
// (as the original network's clients send) means the one source it names;
// one naming several is a 409 listing them.
func TestChangeFeedResolvesPortlessSource(t *testing.T) {
	t.Parallel()
	url := feedServer(t, bySource{}, app.SourceResolver{Sources: sourceIDs{"a@h.example:1", "b@h.example:1", "b@h.example:2"}}, 4)
	for _, tc := range []struct {
		source      string
		status, got int
	}{
		{"a@h.example", http.StatusOK, 1},
		{"a@h.example:1", http.StatusOK, 1},
		{"c@h.example", http.StatusOK, 0}, // no such source: nothing, as the plugin listing
		{"b@h.example", http.StatusConflict, 0},
	} {
		resp := getFeed(t, url+"/federation/changes?source="+tc.source, "")
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || strings.Count(string(raw), `"cursor"`) != tc.got {
			t.Errorf("source=%s: %d %s, want %d with %d changes", tc.source, resp.StatusCode, raw, tc.status, tc.got)
		}
	}
}

// blockedFeed is a feed with nothing after cursor 1; it says when a reader
// has read it.
type blockedFeed struct {
	once sync.Once
	read chan struct{}
}

func (f *blockedFeed) Changes(ctx context.Context, after int64, limit int, source domain.SourceID) ([]app.Change, error) {
	if after >= 1 {
		f.once.Do(func() { close(f.read) })
	}
	return oneChange{}.Changes(ctx, after, limit, source)
}

// Long polls and streams together are capped: one more waiter is a 503
// JSON problem with Retry-After; a plain page still answers; a freed
// waiter is taken again.
func TestChangeFeedCapsWaiters(t *testing.T) {
	t.Parallel()
	feed := &blockedFeed{read: make(chan struct{})}
	url := feedServer(t, feed, app.SourceResolver{}, 1) + "/federation/changes?after=1"
	done := make(chan int)
	go func() {
		resp, err := http.Get(url + "&wait=1500ms")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-feed.read // the long poll waits
	for _, accept := range []string{"", "text/event-stream", "application/x-ndjson"} {
		resp := getFeed(t, url+"&wait=1s", accept)
		if accept != "" {
			resp = getFeed(t, url, accept)
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(raw), "too many clients wait") {
			t.Fatalf("Accept %q while full: %d %q Retry-After %q", accept, resp.StatusCode, raw, resp.Header.Get("Retry-After"))
		}
	}
	if resp := getFeed(t, url, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("a page without wait while full: %d", resp.StatusCode)
	}
	if status := <-done; status != http.StatusOK {
		t.Fatalf("the waiting long poll: %d", status)
	}
	if resp := getFeed(t, url+"&wait=100ms", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("a long poll once the waiter is free: %d", resp.StatusCode)
	}
}
