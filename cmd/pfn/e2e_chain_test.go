package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// chainNode is a pfn node of TestEndToEndNodeChain, with its own database
// and blob directory (the tampering step writes into it).
type chainNode struct {
	api          apiClient
	admin, blobs string
	keyPEM       string
	host         string
	metrics      string   // its metrics listener's base URL
	env          []string // what it was started with (its database, key and blobs)
}

func startChainNode(t *testing.T, pfn, name string) chainNode {
	t.Helper()
	dir := t.TempDir()
	const master = "master-key-for-the-chain-test-0123456789"
	blobs := filepath.Join(dir, "blobs")
	metrics := freeAddr(t)
	env := []string{"PFN_DATABASE_URL=" + databaseURL(t), "PFN_BLOB_STORE=file://" + blobs,
		"PFN_NODE_KEY_FILE=" + filepath.Join(dir, "keys", "node.key"), "PFN_MASTER_KEY=" + master}
	_, base := startNodeWith(t, pfn, append(env, "PFN_METRICS_LISTEN="+metrics)...)
	n := chainNode{api: apiClient{t, base}, blobs: blobs, host: strings.TrimPrefix(base, "http://"), metrics: "http://" + metrics, env: env}
	_, body := n.api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": name})
	n.admin = body["key"].(string)
	_, body = n.api.do(http.MethodGet, "/federation-info", "", nil)
	n.keyPEM, _ = body["public_key"].(string)
	if feats := fmt.Sprint(body["features"]); !strings.Contains(feats, "pfn-node/v1") || body["assetInfo"] == nil {
		t.Fatalf("%s federation-info %v lacks pfn-node/v1 or assetInfo", name, body)
	}
	return n
}

// follow adds an upstream (a publisher or a node) and subscribes; it
// returns the source id and the sync's result.
func (n chainNode) follow(t *testing.T, instanceURL, username, key string) (string, map[string]any) {
	t.Helper()
	status, body := n.api.do(http.MethodPost, "/federation/add-source", n.admin, map[string]string{
		"instance_url": instanceURL, "username": username, "public_key": key})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source %s at %s = %d %v", username, instanceURL, status, body)
	}
	id := body["sourceId"].(string)
	status, body = n.api.do(http.MethodPost, "/federation/subscribe", n.admin, map[string]any{"sourceId": id})
	res, _ := body["syncResult"].(map[string]any)
	if status != http.StatusOK || res == nil {
		t.Fatalf("subscribe %s = %d %v", id, status, body)
	}
	return id, res
}

// rows lists a source's plugin rows by plugin_id.
func (n chainNode) rows(t *testing.T, source string) map[string]map[string]any {
	t.Helper()
	status, body := n.api.do(http.MethodGet, "/federation/plugins?limit=200&source="+url.QueryEscape(source), "", nil)
	if status != http.StatusOK {
		t.Fatalf("plugins = %d %v", status, body)
	}
	out := map[string]map[string]any{}
	for _, p := range body["plugins"].([]any) {
		row := p.(map[string]any)
		out[row["plugin_id"].(string)] = row
	}
	return out
}

func (n chainNode) sync(t *testing.T, id string) map[string]any {
	t.Helper()
	status, body := n.api.do(http.MethodPost, "/federation/sync-source", n.admin, map[string]string{"sourceId": id})
	if status != http.StatusOK {
		t.Fatalf("sync-source %s = %d %v", id, status, body)
	}
	res, _ := body["syncResult"].(map[string]any)
	return res
}

// served is how many GET requests of route the node answered 200, from
// its metrics.
func (n chainNode) served(t *testing.T, route string) string {
	t.Helper()
	resp, err := http.Get(n.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`pfn_http_requests_total\{method="GET",route="` + regexp.QuoteMeta(route) + `",status="200"\} (\d+)`).FindSubmatch(raw)
	if m == nil {
		return "0"
	}
	return string(m[1])
}

// blobFiles lists the files under a node's blob directory.
func (n chainNode) blobFiles() map[string]bool {
	out := map[string]bool{}
	_ = filepath.WalkDir(n.blobs, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".zip") {
			out[path] = true
		}
		return nil
	})
	return out
}

func (n chainNode) download(t *testing.T, source, slug, version string) []byte {
	t.Helper()
	status, raw := n.api.send(http.MethodGet, "/federation/download?source="+url.QueryEscape(source)+"&plugin="+slug+"&version="+version, "", nil)
	if status != http.StatusOK {
		t.Fatalf("download %s %s from %s = %d", slug, version, source, status)
	}
	return raw
}

// TestEndToEndNodeChain: a publisher P and nodes A, B, C (each its own
// database) in a chain P -> A -> B -> C. Every plugin on C downloads
// byte-identical with provenance naming P, then A and B; a cycle (A adds
// B's source that came from A) is refused as a cycle, mirrors nothing and
// ends; B follows A's change feed: with no change on A it fetches no
// listing, and a yank on A reaches it (and C) within one sync; a file
// tampered with on A's disk is refused by B.
func TestEndToEndNodeChain(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "3", "-with-sha256", "-admin")
	a, b, c := startChainNode(t, pfn, "A"), startChainNode(t, pfn, "B"), startChainNode(t, pfn, "C")

	atA, res := a.follow(t, pub.URL, "plugin-author", pub.PublicKey)
	if res["mirroredCount"] != 3.0 {
		t.Fatalf("A mirrored %v, want 3", res)
	}
	atB, res := b.follow(t, a.api.base, atA, a.keyPEM)
	if res["mirroredCount"] != 3.0 {
		t.Fatalf("B mirrored %v, want 3", res)
	}
	atC, res := c.follow(t, b.api.base, atB, b.keyPEM)
	if res["mirroredCount"] != 3.0 {
		t.Fatalf("C mirrored %v, want 3", res)
	}
	if atC != atA+"@"+a.host+"@"+b.host {
		t.Fatalf("C's source id %q, want %q", atC, atA+"@"+a.host+"@"+b.host)
	}

	t.Run("every plugin on C is byte-identical, with provenance P, A, B", func(t *testing.T) {
		rowsA, rowsC := a.rows(t, atA), c.rows(t, atC)
		if len(rowsC) != 3 {
			t.Fatalf("C lists %d plugins, want 3", len(rowsC))
		}
		for slug, row := range rowsC {
			version := row["version"].(string)
			if !bytes.Equal(c.download(t, atC, slug, version), a.download(t, atA, slug, version)) {
				t.Errorf("%s %s differs between C and A", slug, version)
			}
			if row["sha256"] != rowsA[slug]["sha256"] || row["federation_signature_v2"] == "" {
				t.Errorf("C's row %v", row)
			}
			var chain []string
			for _, step := range row["provenance"].([]any) {
				s := step.(map[string]any)
				chain = append(chain, fmt.Sprint(s["role"], " ", s["source"]))
			}
			want := []string{"publisher " + atA, "node " + atA, "node " + atB}
			if fmt.Sprint(chain) != fmt.Sprint(want) {
				t.Errorf("provenance of %s = %v, want %v", slug, chain, want)
			}
			status, body := c.api.do(http.MethodGet, "/federation/verify?source="+url.QueryEscape(atC)+"&plugin="+slug+"&version="+version, "", nil)
			if v2, _ := body["federation_signature_v2"].(map[string]any); status != http.StatusOK || body["valid"] != true || v2["ok"] != true {
				t.Errorf("verify on C = %d %v", status, body)
			}
		}
	})

	t.Run("B follows A's change feed: no change on A, no listing fetched", func(t *testing.T) {
		listings, feeds := a.served(t, "/author-data"), a.served(t, "/federation/changes")
		b.sync(t, atB)
		if got := a.served(t, "/author-data"); got != listings {
			t.Fatalf("A served %s listings after B's sync with nothing new, want %s", got, listings)
		}
		if got := a.served(t, "/federation/changes"); got == feeds {
			t.Fatalf("B's sync did not ask A's change feed (%s pages served)", got)
		}
	})

	t.Run("a cycle is refused as a cycle, mirrors nothing and ends", func(t *testing.T) {
		cyc, res := a.follow(t, b.api.base, atB, b.keyPEM)
		if res["mirroredCount"] != 0.0 {
			t.Fatalf("the cycle mirrored %v", res)
		}
		rejected := rejections(t, map[string]any{"syncResult": res})
		if len(rejected) != 3 {
			t.Fatalf("rejections %v, want 3", rejected)
		}
		for slug, reason := range rejected {
			if !strings.Contains(reason, "cycle") {
				t.Errorf("%s refused for %q, want a cycle", slug, reason)
			}
		}
		if n := len(a.rows(t, cyc)); n != 0 {
			t.Fatalf("A lists %d plugins from the cycle", n)
		}
	})

	t.Run("a yank on A leaves C's listing within one sync of B then C, and an unyank brings it back", func(t *testing.T) {
		var slug, version string
		for s, row := range c.rows(t, atC) {
			slug, version = s, row["version"].(string)
			break
		}
		req := map[string]string{"sourceId": atA, "plugin": slug, "version": version, "reason": "malware reported"}
		if status, body := a.api.do(http.MethodPost, "/federation/yank", a.admin, req); status != http.StatusOK {
			t.Fatalf("yank on A = %d %v", status, body)
		}
		b.sync(t, atB)
		c.sync(t, atC)
		if _, listed := c.rows(t, atC)[slug]; listed {
			t.Fatalf("C still lists %s %s after the yank on A", slug, version)
		}
		status, body := c.api.do(http.MethodGet, "/federation/download?source="+url.QueryEscape(atC)+"&plugin="+slug+"&version="+version, "", nil)
		if status != http.StatusGone || !strings.Contains(fmt.Sprint(body["error"]), "malware reported") {
			t.Fatalf("download on C after the yank = %d %v, want 410 with the upstream's reason", status, body)
		}
		if status, body := a.api.do(http.MethodPost, "/federation/unyank", a.admin, req); status != http.StatusOK {
			t.Fatalf("unyank on A = %d %v", status, body)
		}
		b.sync(t, atB)
		c.sync(t, atC)
		if _, listed := c.rows(t, atC)[slug]; !listed {
			t.Fatalf("C does not list %s %s again after the unyank on A", slug, version)
		}
	})

	// withheldOnC takes an admin action on A that withholds the source
	// there, syncs B then C once each, and checks that C lists none of its
	// plugins and answers a download of one with status and A's reason.
	withheldOnC := func(t *testing.T, path string, req map[string]any, status int, reason string) {
		t.Helper()
		var slug, version string
		for s, row := range c.rows(t, atC) {
			slug, version = s, row["version"].(string)
			break
		}
		if got, body := a.api.do(http.MethodPost, path, a.admin, req); got != http.StatusOK {
			t.Fatalf("POST %s on A = %d %v", path, got, body)
		}
		b.sync(t, atB)
		c.sync(t, atC)
		if n := len(c.rows(t, atC)); n != 0 {
			t.Fatalf("C lists %d plugins of a source withheld on A (%s)", n, path)
		}
		got, body := c.api.do(http.MethodGet, "/federation/download?source="+url.QueryEscape(atC)+"&plugin="+slug+"&version="+version, "", nil)
		if got != status || !strings.Contains(fmt.Sprint(body["error"]), reason) {
			t.Fatalf("download on C = %d %v, want %d with the upstream's reason", got, body, status)
		}
	}

	t.Run("a quarantine on A hides the source on C within one sync of B then C, until A resumes it", func(t *testing.T) {
		withheldOnC(t, "/federation/suspend-source", map[string]any{"sourceId": atA, "reason": "under investigation", "quarantine": true},
			http.StatusUnavailableForLegalReasons, "under investigation")
		_, body := c.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(atC), c.admin, nil)
		if up, _ := body["upstream_status"].(map[string]any); up["status"] != "quarantined" || up["reason"] != "under investigation" {
			t.Fatalf("C's source-status %v lacks the upstream's quarantine", body)
		}
		if status, body := a.api.do(http.MethodPost, "/federation/resume-source", a.admin, map[string]any{"sourceId": atA}); status != http.StatusOK {
			t.Fatalf("resume on A = %d %v", status, body)
		}
		b.sync(t, atB)
		c.sync(t, atC)
		if n := len(c.rows(t, atC)); n != 3 {
			t.Fatalf("C lists %d plugins after A resumed the source, want 3", n)
		}
	})

	t.Run("an edited statement row in B's log is caught by pfn log watch and by C", func(t *testing.T) {
		checkEditedLogRow(t, pfn, pub, a, b, c, atA, atB, atC)
	})

	t.Run("a file tampered with on A's disk is refused by B", func(t *testing.T) {
		// P publishes a new plugin; A mirrors it; its copy on A's disk is
		// then altered, and B, told by A's feed that A has something new,
		// asks A for it and refuses it.
		setCatalog(t, pub, []map[string]any{{"slug": "plugin-9", "name": "Plugin 9", "version": "1.0.0",
			"short_description": "published after the chain formed", "tags": []string{"utilities"}}})
		before := a.blobFiles()
		if res := a.sync(t, atA); res["mirroredCount"] != 1.0 {
			t.Fatalf("A's sync of the new plugin = %v", res)
		}
		var tampered string
		for path := range a.blobFiles() {
			if !before[path] {
				tampered = path
			}
		}
		raw, err := os.ReadFile(tampered)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 0xff
		if err := os.WriteFile(tampered, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		// A checks what it sends against its record and cuts the transfer
		// before the last byte (ports/httpapi sendVerified): B never holds
		// the altered bytes, and refuses the version it could not fetch whole.
		res := b.sync(t, atB)
		reason := rejections(t, map[string]any{"syncResult": res})["plugin-9@1.0.0"]
		if res["mirroredCount"] != 0.0 || !strings.Contains(reason, "download") {
			t.Fatalf("B's sync = %v, want plugin-9 refused", res)
		}
		if _, listed := b.rows(t, atB)["plugin-9"]; listed {
			t.Fatal("B lists the tampered plugin")
		}
	})

	// Last: it ends the chain's source on A.
	t.Run("a removal on A leaves C's listing within one sync of B then C", func(t *testing.T) {
		withheldOnC(t, "/federation/remove-source", map[string]any{"sourceId": atA, "reason": "publisher gone"},
			http.StatusGone, "publisher gone")
	})
}
