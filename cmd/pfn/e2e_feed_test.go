package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/internal/apicontract"
)

// feedChange is a change as a feed reader decodes it.
type feedChange struct {
	Cursor  string `json:"cursor"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Plugin  string `json:"plugin"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
}

type feedPage struct {
	Changes []feedChange `json:"changes"`
	Next    string       `json:"next"`
	More    bool         `json:"more"`
}

// The change feed's acceptance (issue #15), against a real node:
//   - a reader killed and restarted from its saved cursor misses and
//     repeats nothing while writers commit out of order (the transaction
//     that appended first commits last);
//   - a long poll answers within a second of a commit;
//   - an event stream resumes from Last-Event-ID, and NDJSON streams lines.
func TestEndToEndChangeFeed(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	dbURL := databaseURL(t)
	env := []string{"PFN_DATABASE_URL=" + dbURL}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	_, base := startNodeWith(t, pfn, env...)
	ctx := eventstore.WithActor(context.Background(), "e2e-writer")
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	const source = domain.SourceID("writer@127.0.0.1:9")

	t.Run("a restarted reader misses and repeats nothing while commits come out of order", func(t *testing.T) {
		cursorFile := filepath.Join(t.TempDir(), "cursor")
		var mu sync.Mutex
		var got []feedChange
		read := func(ctx context.Context) {
			raw, _ := os.ReadFile(cursorFile)
			after := strings.TrimSpace(string(raw))
			if after == "" {
				after = "0"
			}
			for ctx.Err() == nil {
				page, err := getFeedPage(ctx, t, base, "after="+after+"&limit=1&wait=2s")
				if err != nil {
					continue // killed mid-request, or the node is busy: ask again
				}
				mu.Lock()
				got = append(got, page.Changes...)
				if err := os.WriteFile(cursorFile, []byte(page.Next), 0o600); err != nil {
					t.Error(err)
				}
				mu.Unlock()
				after = page.Next
			}
		}
		startReader := func() (kill func()) {
			rctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { read(rctx); close(done) }()
			return func() { cancel(); <-done }
		}

		const rounds = 6
		kill := startReader()
		for i := range rounds {
			first, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			appendMirror(t, ctx, first, source, fmt.Sprintf("r%d-first", i))
			second, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			appendMirror(t, ctx, second, source, fmt.Sprintf("r%d-second", i))
			if err := second.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond) // the reader polls while the first is open
			if err := first.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if i%2 == 1 { // killed mid-stride and restarted from its cursor
				kill()
				kill = startReader()
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= 2*rounds || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		kill()
		var want []string
		for i := range rounds {
			want = append(want, fmt.Sprintf("r%d-first", i), fmt.Sprintf("r%d-second", i))
		}
		var slugs []string
		for i, c := range got {
			slugs = append(slugs, c.Plugin)
			if c.Cursor != strconv.Itoa(i+1) || c.Kind != "version.mirrored" || c.Source != string(source) || c.SHA256 != "cd" || c.Size != 2 {
				t.Errorf("change %d: %+v", i, c)
			}
		}
		if fmt.Sprint(slugs) != fmt.Sprint(want) {
			t.Fatalf("the reader saw %v\nwant each once, in commit order %v", slugs, want)
		}
	})

	t.Run("a long poll answers within a second of a commit", func(t *testing.T) {
		page, err := getFeedPage(context.Background(), t, base, "after=999999")
		if err != nil || len(page.Changes) != 0 || page.Next != "999999" || page.More {
			t.Fatalf("a cursor beyond the head: %+v, %v", page, err)
		}
		head := 2 * 6
		type answer struct {
			page feedPage
			err  error
			at   time.Time
		}
		answered := make(chan answer, 1)
		go func() {
			page, err := getFeedPage(context.Background(), t, base, fmt.Sprintf("after=%d&wait=30s", head))
			answered <- answer{page, err, time.Now()}
		}()
		time.Sleep(700 * time.Millisecond) // the request is waiting
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendMirror(t, ctx, tx, source, "long-poll")
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		committed := time.Now()
		a := <-answered
		if a.err != nil || len(a.page.Changes) != 1 || a.page.Changes[0].Plugin != "long-poll" || a.page.Next != strconv.Itoa(head+1) {
			t.Fatalf("long poll: %+v, %v", a.page, a.err)
		}
		elapsed := a.at.Sub(committed)
		if elapsed >= time.Second {
			t.Fatalf("the long poll answered %s after the commit; the contract is within 1s", elapsed)
		}
		t.Logf("the long poll answered %s after the commit", elapsed)
	})

	t.Run("an event stream resumes from Last-Event-ID and NDJSON streams lines", func(t *testing.T) {
		lines := streamLines(t, base, "", map[string]string{"Accept": "text/event-stream", "Last-Event-ID": "10"}, 9)
		want := []string{"id: 11", "event: change", "", "", "id: 12", "event: change", "", "", "id: 13"}
		for i, w := range want {
			if w != "" && lines[i] != w {
				t.Fatalf("event stream line %d = %q, want %q (all: %q)", i, lines[i], w, lines)
			}
		}
		var c feedChange
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[2], "data: ")), &c); err != nil || c.Cursor != "11" || c.Plugin != "r5-first" {
			t.Fatalf("event data %q: %+v, %v", lines[2], c, err)
		}
		lines = streamLines(t, base, "after=11&limit=1", map[string]string{"Accept": "application/x-ndjson"}, 2)
		for i, line := range lines {
			if err := json.Unmarshal([]byte(line), &c); err != nil || c.Cursor != strconv.Itoa(12+i) {
				t.Fatalf("NDJSON line %d %q: %+v, %v", i, line, c, err)
			}
		}
	})
}

// appendMirror appends a mirrored version of plugin through tx, as a
// sync's transaction does.
func appendMirror(t *testing.T, ctx context.Context, tx pgx.Tx, source domain.SourceID, plugin string) {
	t.Helper()
	events, err := eventstore.EncodeAll([]domain.PluginEvent{domain.PluginMirrored{SourceID: source, Plugin: plugin, Name: plugin,
		Version: "1.0.0", SHA256: "cd", Size: 2, BlobKey: "k/" + plugin, PublisherSignature: "sig", At: time.Now().UTC()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.New(tx).Append(ctx, "plugin-"+string(source)+"/"+plugin, 0, events...); err != nil {
		t.Fatal(err)
	}
}

// getFeedPage reads a JSON page of the feed, checked against the API's
// document.
func getFeedPage(ctx context.Context, t *testing.T, base, query string) (feedPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/federation/changes?"+query, nil)
	if err != nil {
		return feedPage{}, err
	}
	resp, err := (&http.Client{Transport: apicontract.Transport(t, nil)}).Do(req)
	if err != nil {
		return feedPage{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return feedPage{}, fmt.Errorf("GET /federation/changes?%s = %d", query, resp.StatusCode)
	}
	var page feedPage
	err = json.NewDecoder(resp.Body).Decode(&page)
	return page, err
}

// streamLines reads the first n lines of a streamed answer, then hangs up.
func streamLines(t *testing.T, base, query string, headers map[string]string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/federation/changes?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), headers["Accept"]) {
		t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for len(lines) < n && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < n {
		t.Fatalf("stream ended after %q: %v", lines, sc.Err())
	}
	return lines
}
