package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// hostilePublisher is a publisher (an httptest server) whose answers to
// HEAD for its three files are each hostile in their own way; GETs serve
// the right bytes and are counted.
type hostilePublisher struct {
	srv  *httptest.Server
	key  ed25519.PublicKey
	gets atomic.Int64
}

// hostileHeads says how each file's HEAD is answered.
var hostileHeads = map[string]func(w http.ResponseWriter){
	// A header block near the node's cap, of one huge validator.
	"huge": func(w http.ResponseWriter) { w.Header().Set("X-Content-SHA256", strings.Repeat("f", 60000)) },
	// A validator naming other bytes over the right ones.
	"liar": func(w http.ResponseWriter) { w.Header().Set("ETag", `"`+strings.Repeat("0", 64)+`"`) },
	// Held past PFN_REVALIDATE_TIMEOUT.
	"slow": func(http.ResponseWriter) { time.Sleep(1500 * time.Millisecond) },
}

func startHostilePublisher(t *testing.T) *hostilePublisher {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := &hostilePublisher{key: pub}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug, isFile := strings.CutPrefix(r.URL.Path, "/files/plugin-author/")
		switch {
		case r.URL.Path == "/federation-info":
			writeTestJSON(w, map[string]any{"version": "1.0.0", "features": []string{"plugin-distribution"},
				"assetInfo": map[string]string{"domain": h.srv.URL + "/files", "namingScheme": "{author}/{slug}/{version}.zip"}})
		case r.URL.Path == "/verify-ownership":
			var req struct{ Challenge string }
			_ = json.NewDecoder(r.Body).Decode(&req)
			writeTestJSON(w, map[string]string{"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(req.Challenge)))})
		case r.URL.Path == "/author-data":
			var plugins []map[string]any
			for slug := range hostileHeads {
				claim := domain.PluginClaim{ID: slug, Name: slug, Version: "1.0.0", Description: "hostile " + slug}
				plugins = append(plugins, map[string]any{"slug": slug, "name": slug, "version": "1.0.0", "short_description": claim.Description,
					"tags": []string{"x"}, "signature": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, claim.SignedMessage()))})
			}
			writeTestJSON(w, map[string]any{"username": "plugin-author", "plugins": plugins})
		case isFile && r.Method == http.MethodHead:
			hostileHeads[strings.TrimSuffix(slug, "/1.0.0.zip")](w)
		case isFile:
			h.gets.Add(1)
			_, _ = w.Write([]byte("bytes of " + strings.TrimSuffix(slug, "/1.0.0.zip")))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Hostile answers to the revalidation cost the node a bounded wait and at
// most the download that decides, and are never taken for tampering: a
// huge validator names nothing, a wrong one over the right bytes is
// checked by downloading, a slow one is cut at PFN_REVALIDATE_TIMEOUT.
func TestEndToEndHostileRevalidationAnswers(t *testing.T) {
	t.Parallel()
	h := startHostilePublisher(t)
	const master = "master-key-for-the-revalidation-test-0123"
	api := apiClient{t, startNode(t, buildBinary(t, ".", "pfn"), "PFN_MASTER_KEY="+master, "PFN_SCHEDULER=false",
		"PFN_REVALIDATE_TIMEOUT=1s")}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin, _ := body["key"].(string)
	code, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": h.srv.URL, "username": "plugin-author", "public_key": base64.StdEncoding.EncodeToString(h.key)})
	if code != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", code, body)
	}
	s := opsSetup{api: api, admin: admin, source: body["sourceId"].(string)}
	if code, body := api.do(http.MethodPost, "/federation/subscribe", admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	gets := h.gets.Load()
	start := time.Now()
	rev, res := s.syncNow(t)
	took := time.Since(start)
	want := map[string]float64{"revalidated": 1, "noValidator": 1, "downloaded": 1, "tampered": 0, "failed": 1}
	for k, v := range want {
		if rev[k] != v {
			t.Errorf("revalidation %s = %v, want %v (all: %v)", k, rev[k], v, rev)
		}
	}
	if rejected, _ := res["rejected"].([]any); len(rejected) != 0 || took > 10*time.Second {
		t.Fatalf("sync took %s and refused %v", took, rejected)
	}
	if n := h.gets.Load() - gets; n != 1 {
		t.Fatalf("%d GETs, want the liar's file once", n)
	}
	if got := s.downloaded(t, "liar", "1.0.0"); got != "bytes of liar" {
		t.Fatalf("the mirror serves %q", got)
	}
}
