package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEndCatalogCache: two nodes on one database behind a real
// publisher. Listings and /federation-info carry a strong ETag, answer
// If-None-Match with 304, gzip when asked; a write on this node shows in
// its next listing (new ETag); a write on the other node shows here once
// the projections move, without a write here; a key revoked on the other
// node is refused here within a second although this node remembered it.
func TestEndToEndCatalogCache(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "3")
	const master = "master-key-for-the-catalog-cache-test-0123456789"
	env := []string{"PFN_DATABASE_URL=" + databaseURL(t), "PFN_MASTER_KEY=" + master, "PFN_LOG_LEVEL=warn"}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	_, baseA := startNodeWith(t, pfn, env...)
	_, baseB := startNodeWith(t, pfn, env...) // the same database, blobs and node key
	a, b := apiClient{t, baseA}, apiClient{t, baseB}
	_, body := a.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	_, body = a.do(http.MethodPost, "/federation/create-admin-key", admin, map[string]string{"role": "consumer"})
	consumer := body["key"].(string)
	reg := addSource(t, a, pub, admin)
	if status, body := a.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": reg.source}); status != http.StatusOK {
		t.Fatalf("subscribe = %d %v", status, body)
	}

	const plugins = "/federation/plugins?limit=50"
	first := getRaw(t, baseA+plugins, nil)
	etag := first.header.Get("ETag")
	if first.status != http.StatusOK || !strings.HasPrefix(etag, `"`) || first.header.Get("Cache-Control") != "public, no-cache" ||
		!strings.Contains(first.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("plugins = %d ETag %q Cache-Control %q Vary %q", first.status, etag, first.header.Get("Cache-Control"), first.header.Get("Vary"))
	}
	t.Run("304 with If-None-Match", func(t *testing.T) {
		for _, route := range []struct{ path, key, cacheControl string }{
			{plugins, "", "public, no-cache"},
			{"/federation/sources", admin, "private, no-cache"},
			{"/federation-info", "", "public, max-age=60"},
		} {
			h := http.Header{}
			if route.key != "" {
				h.Set("Authorization", "Bearer "+route.key)
			}
			full := getRaw(t, baseA+route.path, h)
			h.Set("If-None-Match", full.header.Get("ETag"))
			again := getRaw(t, baseA+route.path, h)
			if full.status != http.StatusOK || again.status != http.StatusNotModified || len(again.body) != 0 ||
				again.header.Get("ETag") != full.header.Get("ETag") || full.header.Get("Cache-Control") != route.cacheControl {
				t.Fatalf("%s: %d (Cache-Control %q), then %d with %d bytes, ETags %q %q", route.path, full.status,
					full.header.Get("Cache-Control"), again.status, len(again.body), full.header.Get("ETag"), again.header.Get("ETag"))
			}
		}
	})
	t.Run("gzip round trip", func(t *testing.T) {
		zipped := getRaw(t, baseA+plugins, http.Header{"Accept-Encoding": {"gzip"}})
		if zipped.header.Get("Content-Encoding") != "gzip" || zipped.header.Get("ETag") == etag {
			t.Fatalf("Accept-Encoding: gzip answered Content-Encoding %q ETag %q", zipped.header.Get("Content-Encoding"), zipped.header.Get("ETag"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, first.body) {
			t.Fatalf("gunzipped %d bytes (%v), want the %d plain bytes", len(plain), err, len(first.body))
		}
		if again := getRaw(t, baseA+plugins, http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {zipped.header.Get("ETag")}}); again.status != http.StatusNotModified {
			t.Fatalf("If-None-Match of the gzip ETag = %d", again.status)
		}
	})

	listing := func(base string) (map[string]bool, string) {
		t.Helper()
		r := getRaw(t, base+plugins, nil)
		if r.status != http.StatusOK {
			t.Fatalf("plugins = %d %s", r.status, r.body)
		}
		listed := map[string]bool{}
		var page struct{ Plugins []map[string]any }
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Plugins {
			listed[row["plugin_id"].(string)+" "+row["version"].(string)] = true
		}
		return listed, r.header.Get("ETag")
	}
	before, _ := listing(baseA)
	var slug, version string
	for k := range before {
		slug, version, _ = strings.Cut(k, " ")
		break
	}
	t.Run("download of a version is immutable", func(t *testing.T) {
		r := getRaw(t, baseA+"/federation/download?source="+url.QueryEscape(reg.source)+"&plugin="+slug+"&version="+version, nil)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("download = %d Cache-Control %q", r.status, r.header.Get("Cache-Control"))
		}
	})
	yank := map[string]any{"sourceId": reg.source, "plugin": slug, "version": version, "reason": "cache test"}
	t.Run("read-your-writes after POST", func(t *testing.T) {
		if status, body := a.do(http.MethodPost, "/federation/yank", admin, yank); status != http.StatusOK {
			t.Fatalf("yank = %d %v", status, body)
		}
		after, tag := listing(baseA)
		if after[slug+" "+version] || tag == etag {
			t.Fatalf("the listing right after the yank still shows %s %s (ETag %q, before %q)", slug, version, tag, etag)
		}
		if r := getRaw(t, baseA+plugins, http.Header{"If-None-Match": {etag}}); r.status != http.StatusOK {
			t.Fatalf("If-None-Match of the ETag before the yank = %d, want 200", r.status)
		}
	})
	t.Run("another node's write ends the entries when the projections move", func(t *testing.T) {
		_, yankedTag := listing(baseA) // kept in A's cache now
		if status, body := b.do(http.MethodPost, "/federation/unyank", admin, yank); status != http.StatusOK {
			t.Fatalf("unyank on the other node = %d %v", status, body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			now, tag := listing(baseA)
			if now[slug+" "+version] && tag != yankedTag {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("5 s after the other node's unyank this node still lists without %s %s (ETag %q)", slug, version, tag)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("a key revoked on the other node is refused here within a second", func(t *testing.T) {
		h := http.Header{"Authorization": {"Bearer " + consumer}}
		if r := getRaw(t, baseA+"/federation/subscriptions", h); r.status != http.StatusOK {
			t.Fatalf("subscriptions with the consumer key = %d %s", r.status, r.body)
		}
		if status, body := b.do(http.MethodPost, "/federation/revoke-key", admin, map[string]string{"key": consumer}); status != http.StatusOK {
			t.Fatalf("revoke-key on the other node = %d %v", status, body)
		}
		revoked := time.Now()
		time.Sleep(time.Until(revoked.Add(time.Second)))
		if r := getRaw(t, baseA+"/federation/subscriptions", h); r.status != http.StatusUnauthorized {
			t.Fatalf("a second after the revocation on the other node this node answered %d, want 401", r.status)
		}
		if r := getRaw(t, baseB+"/federation/subscriptions", h); r.status != http.StatusUnauthorized {
			t.Fatalf("the revoking node answered %d, want 401", r.status)
		}
	})
}

type rawAnswer struct {
	status int
	header http.Header
	body   []byte
}

// getRaw sends a GET as it is (no transparent gzip) and reads the answer.
func getRaw(t *testing.T, url string, header http.Header) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}
