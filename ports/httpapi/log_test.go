package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/internal/apicontract"
	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/tlogtiles"
	"github.com/pfn-network/pfn/ports/httpapi"
)

const testOrigin = "pfn/test-node"

// logNode is a node serving a log of n entries, version 1.0.0 of plugin
// p<i> each, and catalogue rows for p0..p9 and one version never logged.
type logNode struct {
	url   string
	vkey  string
	log   *app.MemoryLog
	entry func(i int) []byte
}

func serveLog(t *testing.T, n int) logNode {
	t.Helper()
	ring, err := nodekey.LoadKeyring(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ring.Signer().NoteSigner(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(i int) []byte {
		return fmt.Appendf(nil, `{"node":%q,"source":"alice@a.example","plugin":"p%d","version":"1.0.0"}`, ring.Signer().KeyID(), i)
	}
	log := &app.MemoryLog{}
	var views app.PluginViews
	for i := range n {
		if _, err := log.Append(app.LogEntry{Source: "alice@a.example", Plugin: fmt.Sprint("p", i), Version: "1.0.0",
			Statement: entry(i), Signature: "c2ln", NodeKeyID: ring.Signer().KeyID()}); err != nil {
			t.Fatal(err)
		}
		if i < 10 {
			idx := int64(i)
			views = append(views, app.PluginView{ID: idx + 1, SourceID: "alice@a.example", Plugin: fmt.Sprint("p", i), Name: "P", Version: "1.0.0",
				Description: "d", PublisherSignature: "cHM=", PublisherKey: "a2V5", LogIndex: &idx})
		}
	}
	views = append(views, app.PluginView{ID: 100, SourceID: "alice@a.example", Plugin: "old", Version: "1.0.0"})
	find := app.FindPlugin{Plugins: views}
	checkpoints := &app.GetLogCheckpoint{Log: log, Signer: signer}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: slog.New(slog.DiscardHandler), App: &httpapi.App{
		Authenticate: keys{}, PublicCatalog: true, FindPlugin: find, ListPlugins: app.ListPlugins{Plugins: views},
		NodeInfo:      httpapi.NodeInfo{Version: "1.0.0", Features: []string{"transparency-log"}, Log: &httpapi.LogInfo{Origin: testOrigin, VerifierKey: signer.VerifierKey()}},
		LogCheckpoint: checkpoints, LogTile: app.ReadLogTile{Log: log},
		LogBundle: app.GetLogBundle{Find: find, Log: log, Checkpoints: checkpoints, Keys: ring},
	}}))
	t.Cleanup(srv.Close)
	return logNode{url: srv.URL, vkey: signer.VerifierKey(), log: log, entry: entry}
}

// get answers a GET; answers whose route the contract can match (every one
// but a tile's: its path spans segments) are checked against it.
func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	client := http.DefaultClient
	if !strings.Contains(url, "/federation/log/tile/") {
		client = &http.Client{Transport: apicontract.Transport(t, nil)}
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

// httpTiles reads tiles as a tlog client does, from the node's routes.
type httpTiles struct {
	t    *testing.T
	base string
}

func (h httpTiles) Height() int { return tlogtiles.Height }

func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		resp, body := get(h.t, h.base+"/federation/log/"+tlogtiles.Path(tl))
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %d %s", tlogtiles.Path(tl), resp.StatusCode, body)
		}
		out[i] = body
	}
	return out, nil
}

func (httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func openServed(t *testing.T, signed []byte, vkey string) tlogtiles.Checkpoint {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlogtiles.OpenCheckpoint(signed, testOrigin, note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint %q: %v", signed, err)
	}
	return c
}

// The log's routes serve what a tlog client proves with: the checkpoint
// opens with the advertised key, each bundle's proof checks and equals the
// one the served tiles give, and bundles of entries hold the statements.
func TestLogRoutes(t *testing.T) {
	t.Parallel()
	const n = 300
	node := serveLog(t, n)

	resp, info := get(t, node.url+"/federation-info")
	var ni struct {
		Features []string
		Log      httpapi.LogInfo
	}
	if err := json.Unmarshal(info, &ni); err != nil || ni.Log.Origin != testOrigin || ni.Log.VerifierKey != node.vkey ||
		ni.Log.Checkpoint != node.url+"/federation/log/checkpoint" {
		t.Fatalf("/federation-info = %d %s", resp.StatusCode, info)
	}

	resp, signed := get(t, ni.Log.Checkpoint)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("checkpoint = %d %v", resp.StatusCode, resp.Header)
	}
	cp := openServed(t, signed, ni.Log.VerifierKey)
	if cp.N != n {
		t.Fatalf("checkpoint of %d entries, want %d", cp.N, n)
	}
	tiles := tlog.TileHashReader(cp.Tree, httpTiles{t, node.url})
	for _, i := range []int{0, 1, 9} {
		resp, body := get(t, fmt.Sprintf("%s/federation/bundle?source=alice%%40a.example&plugin=p%d&version=1.0.0", node.url, i))
		var b logbundle.Bundle
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &b) != nil || resp.Header.Get("Cache-Control") != "public, no-cache" {
			t.Fatalf("bundle of p%d = %d %v %s", i, resp.StatusCode, resp.Header, body)
		}
		statement, _ := base64.StdEncoding.DecodeString(b.Statement)
		if b.Format != logbundle.Format || b.LogIndex != int64(i) || !bytes.Equal(statement, node.entry(i)) || b.VerifierKey != node.vkey ||
			b.PublisherClaim != (logbundle.Claim{ID: fmt.Sprint("p", i), Name: "P", Version: "1.0.0", Description: "d"}) || b.NodeSignature != "c2ln" {
			t.Fatalf("bundle of p%d: %s", i, body)
		}
		bcp := openServed(t, []byte(b.Checkpoint), b.VerifierKey)
		proof := make(tlog.RecordProof, len(b.InclusionProof))
		for j, h := range b.InclusionProof {
			var err error
			if proof[j], err = tlog.ParseHash(h); err != nil {
				t.Fatal(err)
			}
		}
		if err := tlog.CheckRecord(proof, bcp.N, bcp.Hash, b.LogIndex, tlog.RecordHash(statement)); err != nil {
			t.Fatalf("bundle of p%d: %v", i, err)
		}
		viaTiles, err := tlog.ProveRecord(cp.N, b.LogIndex, tiles)
		if err != nil || fmt.Sprint(viaTiles) != fmt.Sprint(proof) {
			t.Fatalf("p%d: the served tiles prove %v (%v), the bundle %v", i, viaTiles, err, proof)
		}
	}

	for _, c := range []struct {
		path, cache string
		header      []string
		entries     int
	}{
		{path: "tile/0/000", cache: "public, max-age=31536000, immutable"},
		{path: "tile/0/001.p/44", cache: "public, max-age=60"},
		{path: "tile/1/000.p/1", cache: "public, max-age=60"},
		{path: "tile/entries/000", cache: "public, max-age=31536000, immutable", entries: 256},
		{path: "tile/entries/001.p/44", cache: "public, max-age=60", entries: 44},
		{path: "tile/0/000", cache: "private, max-age=31536000, immutable", header: []string{"Authorization", "Bearer consumer-key"}},
		{path: "tile/entries/001.p/44", cache: "private, max-age=60", header: []string{"X-API-Key", "consumer-key"}, entries: 44},
	} {
		resp, body := get(t, node.url+"/federation/log/"+c.path, c.header...)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" || resp.Header.Get("Cache-Control") != c.cache {
			t.Errorf("%s = %d %v, want Cache-Control %q", c.path, resp.StatusCode, resp.Header, c.cache)
			continue
		}
		if c.entries == 0 {
			continue
		}
		tl, _ := tlogtiles.ParsePath(c.path)
		entries, err := tlogtiles.SplitEntries(body, c.entries)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		for j, e := range entries {
			if !bytes.Equal(e, node.entry(int(tl.N)*tlogtiles.Width+j)) {
				t.Fatalf("%s entry %d = %q", c.path, j, e)
			}
		}
	}

	for _, c := range []struct {
		path   string
		status int
	}{
		{"tile/0/001", 404}, {"tile/0/001.p/45", 404}, {"tile/1/000", 404}, {"tile/1/000.p/2", 404}, {"tile/2/000.p/1", 404},
		{"tile/entries/001", 404}, {"tile/entries/002.p/1", 404}, {"tile/0/x001/000", 404},
		{"tile/", 400}, {"tile/0", 400}, {"tile/0/1", 400}, {"tile/0/000.p/0", 400}, {"tile/0/000.p/256", 400}, {"tile/data/000", 400},
		{"tile/8/0/000", 400}, {"tile/-1/000", 400}, {"tile/0/x000/001", 400}, {"tile/0/000/", 400}, {"tile/entries/abc", 400},
		{"tile/0/%2e%2e/000", 400}, {"tile/0/000.p/1x", 400},
	} {
		resp, body := get(t, node.url+"/federation/log/"+c.path)
		var e struct{ Error string }
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Errorf("%s = %d %s, want %d with a JSON error", c.path, resp.StatusCode, body, c.status)
		}
	}

	if resp, _ := get(t, node.url+"/federation/bundle?source=alice%40a.example&plugin=p0", "X-API-Key", "consumer-key"); resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("a keyed bundle: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	for _, c := range []struct {
		query  string
		status int
	}{
		{"source=alice%40a.example&plugin=old&version=1.0.0", 404},
		{"source=alice%40a.example&plugin=none&version=1.0.0", 404},
		{"source=alice%40a.example&plugin=p1&version=9.9.9", 404},
		{"source=alice%40a.example", 400},
		{"plugin=p1", 400},
		{"source=alice&plugin=p1", 400},
		{"source=alice%40a.example&plugin=P%201", 400},
	} {
		if resp, body := get(t, node.url+"/federation/bundle?"+c.query); resp.StatusCode != c.status {
			t.Errorf("bundle?%s = %d %s, want %d", c.query, resp.StatusCode, body, c.status)
		}
	}

	// The catalogue's rows name their entries; a version not logged, null.
	_, body := get(t, node.url+"/federation/plugins?limit=200")
	var page struct {
		Plugins []struct {
			Plugin   string `json:"plugin_id"`
			LogIndex *int64 `json:"log_index"`
		}
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Plugins) != 11 {
		t.Fatalf("plugins: %s", body)
	}
	for _, p := range page.Plugins {
		if (p.Plugin == "old") != (p.LogIndex == nil) || p.LogIndex != nil && fmt.Sprint("p", *p.LogIndex) != p.Plugin {
			t.Errorf("row %s: log_index %v", p.Plugin, p.LogIndex)
		}
	}
}

// A checkpoint follows the log as it grows; the earlier bundle's proof
// still checks against the tree it names.
func TestLogCheckpointGrows(t *testing.T) {
	t.Parallel()
	node := serveLog(t, 3)
	_, first := get(t, node.url+"/federation/log/checkpoint")
	if _, err := node.log.Append(app.LogEntry{Source: "alice@a.example", Plugin: "late", Version: "1.0.0", Statement: []byte("late")}); err != nil {
		t.Fatal(err)
	}
	_, second := get(t, node.url+"/federation/log/checkpoint")
	a, b := openServed(t, first, node.vkey), openServed(t, second, node.vkey)
	if a.N != 3 || b.N != 4 {
		t.Fatalf("checkpoints of %d then %d entries, want 3 then 4", a.N, b.N)
	}
	if resp, _ := get(t, node.url+"/federation/log/tile/entries/000.p/4"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the grown log's entry bundle: %d", resp.StatusCode)
	}
}

// A node run with the log off says so on every log route, and announces
// no log.
func TestLogOff(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: slog.New(slog.DiscardHandler), App: &httpapi.App{
		Authenticate: keys{}, PublicCatalog: true, NodeInfo: httpapi.NodeInfo{Version: "1.0.0"}}}))
	defer srv.Close()
	for _, path := range []string{"/federation/log/checkpoint", "/federation/log/tile/0/000", "/federation/bundle?source=a%40b.example&plugin=p&version=1"} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "the transparency log is off") {
			t.Errorf("%s = %d %s", path, resp.StatusCode, body)
		}
	}
	if _, body := get(t, srv.URL+"/federation-info"); strings.Contains(string(body), `"log"`) {
		t.Errorf("/federation-info of a node without a log: %s", body)
	}
}

// A private catalogue keeps the log to callers with a key.
func TestPrivateCatalogKeepsTheLog(t *testing.T) {
	t.Parallel()
	log := &app.MemoryLog{}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: slog.New(slog.DiscardHandler), App: &httpapi.App{
		Authenticate: keys{}, LogTile: app.ReadLogTile{Log: log}}}))
	defer srv.Close()
	for _, path := range []string{"/federation/log/checkpoint", "/federation/log/tile/0/000", "/federation/bundle?source=a%40b.example&plugin=p"} {
		if resp, body := get(t, srv.URL+path); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a key = %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := get(t, srv.URL+"/federation/log/tile/0/000", "Authorization", "Bearer consumer-key"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a tile of the empty log with a key = %d %s", resp.StatusCode, body)
	}
}

// Whatever path a client asks for under /federation/log/tile/, the answer
// is the tile, 400 or 404, never a server error.
func FuzzLogTilePath(f *testing.F) {
	log := &app.MemoryLog{}
	for i := range 300 {
		if _, err := log.Append(app.LogEntry{Statement: fmt.Appendf(nil, "entry %d", i)}); err != nil {
			f.Fatal(err)
		}
	}
	e := httpapi.New(httpapi.Deps{Log: slog.New(slog.DiscardHandler), App: &httpapi.App{
		Authenticate: keys{}, PublicCatalog: true, LogTile: app.ReadLogTile{Log: log}}})
	for _, s := range []string{"0/000", "0/001.p/44", "entries/000", "1/000.p/1", "0/x001/000", "0/000.p/256", "%2e%2e/000", "entries/x999/x999/999.p/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		req, err := http.NewRequest(http.MethodGet, "/federation/log/tile/"+rest, nil)
		if err != nil {
			return // not a URL a client could send
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("tile/%s = %d %s", rest, rec.Code, rec.Body)
		}
	})
}
