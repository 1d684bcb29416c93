package follow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pfn-network/pfn/domain"
	"time"
)

// fakeNode speaks what the follower reads of a node: /federation-info,
// GET /federation/changes (SPEC15 §1, without waiting), /federation/verify
// and /federation/download.
type fakeNode struct {
	mu        sync.Mutex
	keys      []NodeKey
	changes   []Change
	rows      map[string]Row
	files     map[string][]byte
	downloads atomic.Int32
	failFeed  atomic.Int32 // answer the next N feed requests 503
	tamper    func(body []byte) []byte
	apiKey    string // a private catalogue: every call but /federation-info needs it
	sources   atomic.Int32
}

func (n *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q := r.URL.Query()
	key := fileKey(q.Get("source"), q.Get("plugin"), q.Get("version"))
	if n.apiKey != "" && r.URL.Path != "/federation-info" && r.Header.Get("Authorization") != "Bearer "+n.apiKey {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/federation/sources": // admin only; the key is a consumer's
		n.sources.Add(1)
		http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
	case "/federation-info":
		writeJSON(w, map[string]any{"node_keys": n.keys})
	case "/federation/changes":
		if n.failFeed.Load() > 0 {
			n.failFeed.Add(-1)
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		after, err := strconv.Atoi(q.Get("after"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if err != nil {
			http.Error(w, `{"error":"after"}`, http.StatusBadRequest)
			return
		}
		page := Page{Changes: []Change{}, Next: q.Get("after")}
		for _, c := range n.changes {
			if seq, _ := strconv.Atoi(c.Cursor); seq > after {
				if len(page.Changes) == limit {
					page.More = true
					break
				}
				page.Changes = append(page.Changes, c)
				page.Next = c.Cursor
			}
		}
		writeJSON(w, page)
	case "/federation/verify":
		row, ok := n.rows[key]
		if !ok {
			http.Error(w, `{"error":"gone"}`, http.StatusGone)
			return
		}
		writeJSON(w, map[string]any{"plugin": row, "valid": true})
	case "/federation/download":
		b, ok := n.files[key]
		if !ok {
			http.Error(w, `{"error":"gone"}`, http.StatusGone)
			return
		}
		n.downloads.Add(1)
		if n.tamper != nil {
			b = n.tamper(b)
		}
		_, _ = w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// world is a fake node mirroring one publisher, and its keys.
type world struct {
	t         *testing.T
	node      *fakeNode
	srv       *httptest.Server
	publisher key
	nodeKey   key
	apiKey    string // what the follower sends
}

const testSource = "plugin-author@pub.example:8090"

func newWorld(t *testing.T) *world {
	w := &world{t: t, node: &fakeNode{rows: map[string]Row{}, files: map[string][]byte{}},
		publisher: newKey(t, 1), nodeKey: newKey(t, 40)}
	w.node.keys = []NodeKey{w.nodeKey.nodeKey()}
	w.srv = httptest.NewServer(w.node)
	t.Cleanup(w.srv.Close)
	return w
}

// mirror publishes a version: its row, its file and its change.
func (w *world) mirror(plugin, version string) Row {
	content := []byte("PK\x03\x04" + plugin + " " + version)
	row := signedRow(w.t, w.publisher, w.nodeKey, testSource, plugin, version, content)
	w.node.mu.Lock()
	defer w.node.mu.Unlock()
	key := fileKey(testSource, plugin, version)
	w.node.rows[key], w.node.files[key] = row, content
	w.node.changes = append(w.node.changes, changeOf(len(w.node.changes)+1, row))
	return row
}

func (w *world) yank(plugin, version string) {
	w.node.mu.Lock()
	defer w.node.mu.Unlock()
	key := fileKey(testSource, plugin, version)
	delete(w.node.rows, key)
	delete(w.node.files, key)
	w.node.changes = append(w.node.changes, Change{Cursor: fmt.Sprint(len(w.node.changes) + 1), Kind: domain.ChangeVersionYanked.String(),
		Source: testSource, Plugin: plugin, Version: version, Reason: "broken"})
}

// follow runs a follower on dir as pfn follow -once would, and returns
// what it printed.
func (w *world) follow(dir string, once bool, ctx context.Context) (string, error) {
	var out bytes.Buffer
	f := &Follower{Node: &Node{Base: w.srv.URL, APIKey: w.apiKey, Client: w.srv.Client(), Timeout: 5 * time.Second, DownloadTimeout: 5 * time.Second},
		Dir: dir, Out: &out, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limit: 2, Wait: 10 * time.Millisecond, MaxSize: 1 << 20, MaxRetry: 10 * time.Millisecond}
	err := f.Run(ctx, "", once)
	return out.String(), err
}

func (w *world) once(dir string) (string, error) { return w.follow(dir, true, context.Background()) }

func TestFollowerFetchesOnceResumesAndRemoves(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	for i := range 5 {
		w.mirror(fmt.Sprintf("tool-%d", i), "1.0.0")
	}
	out, err := w.once(dir)
	if err != nil || strings.Count(out, "fetched ") != 5 || !strings.Contains(out, "caught up at cursor 5: 5 fetched") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, testSource, "tool-3", "1.0.0.zip"))
	if err != nil || string(got) != "PK\x03\x04tool-3 1.0.0" {
		t.Fatalf("tool-3: %q %v", got, err)
	}

	// A restart applies only what is new.
	w.mirror("tool-1", "1.1.0")
	w.yank("tool-0", "1.0.0")
	out, err = w.once(dir)
	if err != nil || !strings.Contains(out, "fetched "+testSource+" tool-1 1.1.0") ||
		!strings.Contains(out, "removed "+testSource+" tool-0 1.0.0 (version.yanked broken)") ||
		!strings.Contains(out, "caught up at cursor 7: 1 fetched, 0 present, 1 removed") || w.node.downloads.Load() != 6 {
		t.Fatalf("second run (%d downloads): %v\n%s", w.node.downloads.Load(), err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, testSource, "tool-0")); !os.IsNotExist(err) {
		t.Fatalf("the yanked version's directory is still there: %v", err)
	}
	out, err = w.once(dir)
	if err != nil || out != "caught up at cursor 7: 0 fetched, 0 present, 0 removed\n" {
		t.Fatalf("third run: %v\n%s", err, out)
	}

	// Without its state, the follower reads the feed again but downloads
	// nothing it holds: the files on disk have the right sha256.
	if err := os.Remove(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	out, err = w.once(dir)
	if err != nil || !strings.Contains(out, "5 present") || w.node.downloads.Load() != 6 {
		t.Fatalf("run without state (%d downloads): %v\n%s", w.node.downloads.Load(), err, out)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(entries) > 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// A version the node stopped serving after announcing it is passed over,
// not a failure: the change that withdrew it comes later in the feed.
func TestFollowerPassesOverAVersionNoLongerServed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	w.mirror("tool-a", "1.0.0")
	w.mirror("tool-b", "1.0.0")
	delete(w.node.rows, fileKey(testSource, "tool-a", "1.0.0"))
	out, err := w.once(dir)
	if err != nil || !strings.Contains(out, "not served "+testSource+" tool-a 1.0.0") || !strings.Contains(out, "1 fetched") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestFollowerStopsOnAVerificationFailure(t *testing.T) {
	t.Parallel()
	stranger := newKey(t, 90)
	tests := []struct {
		name   string
		spoil  func(w *world)
		want   string // the failure's What
		cursor string // the state's cursor after it: the change before the bad one
	}{
		{"the node serves other bytes", func(w *world) {
			w.node.tamper = func(b []byte) []byte { return bytes.ToUpper(b) }
		}, "sha256", "2"},
		{"the node serves more bytes than it signed", func(w *world) {
			w.node.tamper = func(b []byte) []byte { return append(b, 'x') }
		}, "", "2"},
		{"the node's key changed without a rotation", func(w *world) {
			w.nodeKey = stranger
			w.node.keys = []NodeKey{stranger.nodeKey()}
		}, "node key", "2"},
		{"a source's publisher key changed", func(w *world) { w.publisher = stranger }, "publisher key", "2"},
		{"a feed entry with another sha256", func(w *world) {
			w.node.changes[len(w.node.changes)-1].SHA256 = strings.Repeat("0", 64)
		}, "feed entry", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			dir := t.TempDir()
			w.mirror("tool-a", "1.0.0")
			w.mirror("tool-b", "1.0.0")
			if out, err := w.once(dir); err != nil {
				t.Fatalf("first run: %v\n%s", err, out)
			}
			tt.spoil(w)
			w.mirror("tool-c", "1.0.0")
			if tt.name == "a feed entry with another sha256" {
				tt.spoil(w) // spoils the entry just added
			}
			_, err := w.once(dir)
			if err == nil {
				t.Fatal("the follower accepted it")
			}
			if tt.want != "" && failureOf(err) != tt.want {
				t.Fatalf("err = %v, want a %q failure", err, tt.want)
			}
			if _, serr := os.Stat(filepath.Join(dir, testSource, "tool-c", "1.0.0.zip")); !os.IsNotExist(serr) {
				t.Fatalf("the refused file is in the directory (%v)", serr)
			}
			st, lerr := LoadState(dir)
			if lerr != nil || st.Cursor != tt.cursor {
				t.Fatalf("state cursor %q (%v), want %q", st.Cursor, lerr, tt.cursor)
			}
			// A rerun stops on the same change.
			if _, again := w.once(dir); again == nil {
				t.Fatal("the rerun accepted it")
			}
		})
	}
}

// A private catalogue is followed with a consumer's key: the publisher key
// comes from the rows' provenance, /federation/sources (admin only) is not
// needed; without the key the follower stops on the node's refusal.
func TestFollowerReadsAPrivateCatalogueWithAConsumerKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.node.apiKey = "consumer-key"
	w.mirror("tool-a", "1.0.0")
	w.mirror("tool-b", "1.0.0")
	if out, err := w.once(t.TempDir()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("without the key: %v\n%s", err, out)
	}
	w.apiKey = "consumer-key"
	if out, err := w.once(t.TempDir()); err != nil || !strings.Contains(out, "2 fetched") || w.node.sources.Load() != 0 {
		t.Fatalf("with the key (%d calls to /federation/sources): %v\n%s", w.node.sources.Load(), err, out)
	}
	// A publisher key the provenance names in place of the pinned one asks
	// for the key history, which a consumer's key cannot read: refused.
	dir := t.TempDir()
	if out, err := w.once(dir); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	w.publisher = newKey(t, 90)
	w.mirror("tool-c", "1.0.0")
	if _, err := w.once(dir); failureOf(err) != "publisher key" || w.node.sources.Load() != 1 {
		t.Fatalf("a new publisher key (%d calls to /federation/sources): %v, want a publisher key failure", w.node.sources.Load(), err)
	}
}

// A node key rotated the way a node rotates (its history lists the pinned
// key beside the new one) is followed.
func TestFollowerFollowsANodeKeyRotation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	w.mirror("tool-a", "1.0.0")
	if out, err := w.once(dir); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	old := w.nodeKey
	w.nodeKey = newKey(t, 41)
	w.node.keys = []NodeKey{w.nodeKey.nodeKey(), old.nodeKey()}
	w.mirror("tool-b", "1.0.0")
	if out, err := w.once(dir); err != nil || !strings.Contains(out, "fetched "+testSource+" tool-b") {
		t.Fatalf("after the rotation: %v\n%s", err, out)
	}
}

// Without -once the follower outlasts a node that fails for a while and
// applies what comes later.
func TestFollowerRetriesAndKeepsFollowing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	w.node.failFeed.Store(3)
	w.mirror("tool-a", "1.0.0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := w.follow(dir, false, ctx); done <- err }()
	want := filepath.Join(dir, testSource, "tool-b", "1.0.0.zip")
	for added := false; ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, testSource, "tool-a", "1.0.0.zip")); err == nil && !added {
			w.mirror("tool-b", "1.0.0")
			added = true
		}
		if _, err := os.Stat(want); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the follower stopped: %v", err)
		default:
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestStateSurvivesARoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := State{Node: "http://n", Cursor: "12", Pins: Pins{Node: map[string]string{"id": "k"}, Publishers: map[string][]string{"s@h": {"a", "b"}}},
		Files: map[string]File{"s@h/p/1.0.0": {SHA256: "ab", Size: 3}}}
	if err := st.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(st)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("read back\n%s\nwant\n%s", b, a)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"cursor":"-3"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(dir); err == nil {
		t.Fatal("a state with a bad cursor was read")
	}
	if got, err := LoadState(t.TempDir()); err != nil || got.Cursor != "" || got.Files == nil {
		t.Fatalf("no state: %+v %v", got, err)
	}
}
