package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/apicontract"
	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// logGet GETs base+path. Answers of routes the API contract can match are
// checked against it; a tile's path spans several segments, which the
// contract's path template cannot match, so tiles are read plainly (their
// errors are checked to be JSON by the test itself).
func logGet(t *testing.T, base, path string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Transport: apicontract.Transport(t, nil)}
	if strings.HasPrefix(path, "/federation/log/tile/") {
		client = http.DefaultClient
	}
	resp, err := client.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// servedTiles is a tlog.TileReader over a node's /federation/log/tile/
// routes, as a client outside the node reads them. It keeps the tiles it
// read: the test's tree does not change.
type servedTiles struct {
	t    *testing.T
	base string
	mu   sync.Mutex
	seen map[tlog.Tile][]byte
}

func (s *servedTiles) Height() int { return tlogtiles.Height }

func (s *servedTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		if data, ok := s.seen[tl]; ok {
			out[i] = data
			continue
		}
		resp, body := logGet(s.t, s.base, "/federation/log/"+tlogtiles.Path(tl))
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s = %d %s", tlogtiles.Path(tl), resp.StatusCode, body)
		}
		s.seen[tl], out[i] = body, body
	}
	return out, nil
}

func (*servedTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// A real node serves its transparency log: the checkpoint opens with the
// verifier key /federation-info advertises; every catalogue entry's bundle
// proves its statement in that tree, with the proof a client builds from
// the served tiles; the entry bundles hold the statements byte for byte;
// full tiles are immutable, partial ones short-lived; bad tile paths are
// 400 and tiles beyond the tree 404, as JSON.
func TestEndToEndTransparencyLogServed(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	// More versions than a full tile holds: tile 0 of level 0 and entry
	// bundle 0 are full, the rest partial.
	const versions = tlogtiles.Width + 14
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", fmt.Sprint(versions), "-admin", "-with-sha256")
	const master = "master-key-for-the-log-serving-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master, "PFN_SCHEDULER=false", "PFN_SYNC_MAX_FILES=1000")}
	s := register(t, api, pub, master)
	status, body := api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	if res, _ := body["syncResult"].(map[string]any); status != http.StatusOK || res["mirroredCount"] != float64(versions) {
		t.Fatalf("subscribe = %d %v", status, body)
	}

	_, info := api.do(http.MethodGet, "/federation-info", "", nil)
	features, _ := info["features"].([]any)
	logInfo, _ := info["log"].(map[string]any)
	origin, _ := logInfo["origin"].(string)
	vkey, _ := logInfo["verifier_key"].(string)
	if !slices.Contains(features, any("transparency-log")) || origin != "pfn/"+info["key_id"].(string) ||
		logInfo["checkpoint"] != api.base+"/federation/log/checkpoint" {
		t.Fatalf("/federation-info: %v", info)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("advertised verifier key %q: %v", vkey, err)
	}

	resp, signed := logGet(t, api.base, "/federation/log/checkpoint")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("checkpoint = %d %v %s", resp.StatusCode, resp.Header, signed)
	}
	if _, err := note.Open(signed, note.VerifierList(verifier)); err != nil {
		t.Fatalf("note.Open of the checkpoint with the advertised key: %v\n%s", err, signed)
	}
	cp, err := tlogtiles.OpenCheckpoint(signed, origin, note.VerifierList(verifier))
	if err != nil || cp.N != versions {
		t.Fatalf("checkpoint %+v, %v; want %d entries", cp, err, versions)
	}

	tiles := &servedTiles{t: t, base: api.base, seen: map[tlog.Tile][]byte{}}
	hashes := tlog.TileHashReader(cp.Tree, tiles)
	// Every statement, as the entry bundles hold them.
	var entries [][]byte
	for _, path := range []string{"tile/entries/000", fmt.Sprintf("tile/entries/001.p/%d", versions-tlogtiles.Width)} {
		resp, body := logGet(t, api.base, "/federation/log/"+path)
		tl, _ := tlogtiles.ParsePath(path)
		got, err := tlogtiles.SplitEntries(body, tl.W)
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("%s = %d: %v", path, resp.StatusCode, err)
		}
		entries = append(entries, got...)
	}
	// Each entry hashes to the leaf the tiles prove in the checkpoint's tree.
	for i, e := range entries {
		leaf, err := tlog.TileHashReader(cp.Tree, tiles).ReadHashes([]int64{tlog.StoredHashIndex(0, int64(i))})
		if err != nil || leaf[0] != tlog.RecordHash(e) {
			t.Fatalf("entry %d does not hash to the proven leaf: %v", i, err)
		}
	}

	rows := catalogueRows(t, api, s.source)
	if len(rows) != versions {
		t.Fatalf("%d catalogue rows, want %d", len(rows), versions)
	}
	seenIndex := map[int64]bool{}
	for _, row := range rows {
		plugin, version := row["plugin_id"].(string), row["version"].(string)
		idx, ok := row["log_index"].(float64)
		if !ok || seenIndex[int64(idx)] {
			t.Fatalf("row %s %s: log_index %v", plugin, version, row["log_index"])
		}
		seenIndex[int64(idx)] = true
		q := "source=" + url.QueryEscape(s.source) + "&plugin=" + url.QueryEscape(plugin) + "&version=" + url.QueryEscape(version)
		resp, raw := logGet(t, api.base, "/federation/bundle?"+q)
		var b logbundle.Bundle
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &b) != nil {
			t.Fatalf("bundle of %s %s = %d %s", plugin, version, resp.StatusCode, raw)
		}
		statement, err := base64.StdEncoding.DecodeString(b.Statement)
		if err != nil || b.Format != logbundle.Format || b.LogIndex != int64(idx) || b.Plugin != plugin || b.Version != version || b.Source != s.source {
			t.Fatalf("bundle of %s %s: %s", plugin, version, raw)
		}
		if !bytes.Equal(statement, entries[b.LogIndex]) {
			t.Fatalf("bundle of %s %s: statement %s, the entry bundle holds %s", plugin, version, statement, entries[b.LogIndex])
		}
		nodeKey, _ := base64.StdEncoding.DecodeString(b.NodeKey)
		sig, _ := base64.StdEncoding.DecodeString(b.NodeSignature)
		if len(nodeKey) != ed25519.PublicKeySize || !ed25519.Verify(nodeKey, statement, sig) || row["federation_signature_v2"] != b.NodeSignature {
			t.Fatalf("bundle of %s %s: the node's signature does not verify over the statement", plugin, version)
		}
		if b.VerifierKey != vkey {
			t.Fatalf("bundle of %s %s names verifier key %q, /federation-info %q", plugin, version, b.VerifierKey, vkey)
		}
		bcp, err := tlogtiles.OpenCheckpoint([]byte(b.Checkpoint), origin, note.VerifierList(verifier))
		if err != nil || !tlogtiles.SameTree(bcp, cp) {
			t.Fatalf("bundle of %s %s: checkpoint %+v, %v", plugin, version, bcp, err)
		}
		proof := make(tlog.RecordProof, len(b.InclusionProof))
		for i, h := range b.InclusionProof {
			if proof[i], err = tlog.ParseHash(h); err != nil {
				t.Fatalf("bundle of %s %s: proof hash %q", plugin, version, h)
			}
		}
		if err := tlog.CheckRecord(proof, bcp.N, bcp.Hash, b.LogIndex, tlog.RecordHash(statement)); err != nil {
			t.Fatalf("bundle of %s %s: inclusion proof: %v", plugin, version, err)
		}
		fromTiles, err := tlog.ProveRecord(cp.N, b.LogIndex, hashes)
		if err != nil || !slices.Equal(fromTiles, proof) {
			t.Fatalf("bundle of %s %s: the served tiles prove %v (%v), the bundle %v", plugin, version, fromTiles, err, proof)
		}
	}

	t.Run("the verify answer and author-data rows name the entry", func(t *testing.T) {
		row := rows[0]
		q := "source=" + url.QueryEscape(s.source) + "&plugin=" + url.QueryEscape(row["plugin_id"].(string)) + "&version=" + url.QueryEscape(row["version"].(string))
		status, report := api.do(http.MethodGet, "/federation/verify?"+q, "", nil)
		if plugin, _ := report["plugin"].(map[string]any); status != http.StatusOK || report["log_index"] != row["log_index"] || plugin["log_index"] != row["log_index"] {
			t.Fatalf("verify = %d %v, want log_index %v", status, report, row["log_index"])
		}
		status, data := api.do(http.MethodGet, "/author-data?author="+url.QueryEscape(s.source), "", nil)
		listed, _ := data["plugins"].([]any)
		if status != http.StatusOK || len(listed) != versions {
			t.Fatalf("author-data = %d, %d rows", status, len(listed))
		}
		for _, l := range listed {
			if _, ok := l.(map[string]any)["log_index"].(float64); !ok {
				t.Fatalf("author-data row without a log index: %v", l)
			}
		}
	})

	t.Run("caching headers", func(t *testing.T) {
		for _, c := range []struct{ path, cache string }{
			{"tile/0/000", "public, max-age=31536000, immutable"},
			{"tile/entries/000", "public, max-age=31536000, immutable"},
			{fmt.Sprintf("tile/0/001.p/%d", versions-tlogtiles.Width), "public, max-age=60"},
			{"tile/1/000.p/1", "public, max-age=60"},
			{fmt.Sprintf("tile/entries/001.p/%d", versions-tlogtiles.Width), "public, max-age=60"},
		} {
			resp, body := logGet(t, api.base, "/federation/log/"+c.path)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != c.cache || resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("%s = %d %v (%d bytes), want Cache-Control %q", c.path, resp.StatusCode, resp.Header, len(body), c.cache)
			}
		}
	})

	t.Run("a bundle from the API verifies offline and fails on one flipped byte of the file, the statement or the proof", func(t *testing.T) {
		checkOfflineBundle(t, api, catalogueRows(t, api, s.source)[0], vkey)
	})

	t.Run("bad tile paths are 400, tiles beyond the tree 404, as JSON", func(t *testing.T) {
		for _, c := range []struct {
			path   string
			status int
		}{
			{"tile/0/001", 404}, {fmt.Sprintf("tile/0/001.p/%d", versions-tlogtiles.Width+1), 404}, {"tile/0/002.p/1", 404},
			{"tile/1/000", 404}, {"tile/1/000.p/2", 404}, {"tile/2/000.p/1", 404},
			{"tile/entries/001", 404}, {"tile/entries/x001/000", 404},
			{"tile/0/7", 400}, {"tile/0/000.p/0", 400}, {"tile/0/000.p/256", 400}, {"tile/8/0/000", 400}, {"tile/data/000", 400},
			{"tile/0/x000/001", 400}, {"tile/-1/000", 400}, {"tile/entries/", 400}, {"tile/", 400}, {"tile/0/000.p/3/4", 400},
		} {
			resp, body := logGet(t, api.base, "/federation/log/"+c.path)
			var e struct{ Error string }
			if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("%s = %d %s, want %d with a JSON error", c.path, resp.StatusCode, body, c.status)
			}
		}
		if resp, body := logGet(t, api.base, "/federation/bundle?source="+url.QueryEscape(s.source)+"&plugin=never-mirrored&version=1.0.0"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bundle of a version never mirrored = %d %s", resp.StatusCode, body)
		}
	})
}

// catalogueRows reads every row of a source's catalogue, page by page.
func catalogueRows(t *testing.T, api apiClient, source string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	cursor := ""
	for {
		status, body := api.do(http.MethodGet, "/federation/plugins?limit=200&source="+url.QueryEscape(source)+"&cursor="+cursor, "", nil)
		if status != http.StatusOK {
			t.Fatalf("plugins = %d %v", status, body)
		}
		page, _ := body["plugins"].([]any)
		for _, p := range page {
			rows = append(rows, p.(map[string]any))
		}
		if cursor, _ = body["next_cursor"].(string); cursor == "" {
			return rows
		}
	}
}

// The log keeps its name across a key rotation: the origin stays
// pfn/<oldest key id>, the checkpoint is signed anew with the current key
// (the retired key's verifier no longer opens it), and a bundle names the
// key its statement was signed with, retired or current.
func TestEndToEndLogAcrossKeyRotation(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "p.pem"), "-plugins", "1", "-admin")
	const master = "master-key-for-the-log-rotation-test-0123456789"
	env := []string{"PFN_MASTER_KEY=" + master, "PFN_DATABASE_URL=" + databaseURL(t), "PFN_SCHEDULER=false"}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	first, base := startNodeWith(t, pfn, env...)
	api := apiClient{t, base}
	s := register(t, api, pub, master)
	if status, body := api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); status != http.StatusOK {
		t.Fatalf("subscribe = %d %v", status, body)
	}
	_, info := api.do(http.MethodGet, "/federation-info", "", nil)
	oldID := info["key_id"].(string)
	oldLog := info["log"].(map[string]any)
	rows := catalogueRows(t, api, s.source)
	if len(rows) != 1 || oldLog["origin"] != "pfn/"+oldID {
		t.Fatalf("before the rotation: log %v, %d rows", oldLog, len(rows))
	}
	before := rows[0]["plugin_id"].(string)
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	rotate := exec.Command(pfn, "node", "rotate-key")
	rotate.Env = append(os.Environ(), env...)
	if out, err := rotate.CombinedOutput(); err != nil {
		t.Fatalf("pfn node rotate-key: %v\n%s", err, out)
	}

	_, base = startNodeWith(t, pfn, env...)
	api = apiClient{t, base}
	_, info = api.do(http.MethodGet, "/federation-info", "", nil)
	newID := info["key_id"].(string)
	newLog := info["log"].(map[string]any)
	if newID == oldID || newLog["origin"] != oldLog["origin"] || newLog["verifier_key"] == oldLog["verifier_key"] {
		t.Fatalf("after the rotation: key %s (was %s), log %v (was %v)", newID, oldID, newLog, oldLog)
	}
	origin := newLog["origin"].(string)
	oldVerifier, _ := note.NewVerifier(oldLog["verifier_key"].(string))
	newVerifier, err := note.NewVerifier(newLog["verifier_key"].(string))
	if err != nil {
		t.Fatal(err)
	}
	_, signed := logGet(t, api.base, "/federation/log/checkpoint")
	if _, err := tlogtiles.OpenCheckpoint(signed, origin, note.VerifierList(oldVerifier)); err == nil {
		t.Fatal("the retired key's verifier opens the checkpoint signed after the rotation")
	}
	if cp, err := tlogtiles.OpenCheckpoint(signed, origin, note.VerifierList(newVerifier)); err != nil || cp.N != 1 {
		t.Fatalf("checkpoint after the rotation: %+v, %v", cp, err)
	}

	setCatalog(t, pub, []map[string]any{{"slug": "after-rotation", "name": "After", "version": "1.0.0",
		"short_description": "mirrored under the new key", "tags": []string{"tools"}, "content_base64": "QUJD"}})
	if status, body := api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source}); status != http.StatusOK {
		t.Fatalf("sync after the restart = %d %v", status, body)
	}
	for _, c := range []struct{ plugin, key string }{{before, oldID}, {"after-rotation", newID}} {
		resp, raw := logGet(t, api.base, "/federation/bundle?source="+url.QueryEscape(s.source)+"&plugin="+c.plugin)
		var b logbundle.Bundle
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &b) != nil {
			t.Fatalf("bundle of %s = %d %s", c.plugin, resp.StatusCode, raw)
		}
		key, _ := base64.StdEncoding.DecodeString(b.NodeKey)
		sig, _ := base64.StdEncoding.DecodeString(b.NodeSignature)
		statement, _ := base64.StdEncoding.DecodeString(b.Statement)
		sum := sha256.Sum256(key)
		if hex.EncodeToString(sum[:8]) != c.key || !ed25519.Verify(key, statement, sig) {
			t.Fatalf("bundle of %s: node key %s, want key %s whose signature verifies", c.plugin, b.NodeKey, c.key)
		}
		cp, err := tlogtiles.OpenCheckpoint([]byte(b.Checkpoint), origin, note.VerifierList(newVerifier))
		if err != nil || cp.N != 2 {
			t.Fatalf("bundle of %s: checkpoint %+v, %v", c.plugin, cp, err)
		}
		proof := make(tlog.RecordProof, len(b.InclusionProof))
		for i, h := range b.InclusionProof {
			proof[i], _ = tlog.ParseHash(h)
		}
		if err := tlog.CheckRecord(proof, cp.N, cp.Hash, b.LogIndex, tlog.RecordHash(statement)); err != nil {
			t.Fatalf("bundle of %s: %v", c.plugin, err)
		}
	}
}
