package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// upstreamNode is a stand-in for another PFN node as GET
// /federation/peer-info and add-source see it: /federation-info with its
// node keys and asset info, its source list (kept to its admins, as a
// real node's, unless listSources), its public catalogue, and the
// publisher protocol for source, signing with its node key.
type upstreamNode struct {
	*httptest.Server
	keyID  string
	keyB64 string // raw 32 bytes, base64
	source string
}

func startUpstreamNode(t *testing.T, source string, listSources bool) upstreamNode {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	u := upstreamNode{keyID: domain.KeyID(pub), keyB64: base64.StdEncoding.EncodeToString(pub), source: source}
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/federation-info":
			answer(w, http.StatusOK, map[string]any{"version": "1.0.0", "features": []string{"plugin-distribution", "pfn-node/v1"},
				"node": "pfn test", "public_key": keyPEM, "key_id": u.keyID,
				"node_keys": []map[string]any{{"key_id": u.keyID, "public_key": keyPEM, "valid_from": time.Now().UTC(), "valid_until": nil}},
				"assetInfo": map[string]string{"domain": u.URL, "namingScheme": "federation/files/{author}/{slug}/{version}"}})
		case "/federation/sources":
			if !listSources {
				answer(w, http.StatusUnauthorized, map[string]string{"error": "an API key is needed"})
				return
			}
			answer(w, http.StatusOK, map[string]any{"sources": []map[string]string{{"id": source}}})
		case "/federation/plugins":
			answer(w, http.StatusOK, map[string]any{"plugins": []map[string]string{{"source_id": source, "plugin_id": "a"}, {"source_id": source, "plugin_id": "b"}}})
		case "/verify-ownership":
			var req struct{ Username, Challenge string }
			if json.NewDecoder(r.Body).Decode(&req) != nil || req.Username != source {
				answer(w, http.StatusNotFound, map[string]string{"error": "no such source"})
				return
			}
			answer(w, http.StatusOK, map[string]string{"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(req.Challenge)))})
		case "/author-data":
			answer(w, http.StatusOK, map[string]any{"username": source, "plugins": []any{}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

// GET /federation/peer-info looks a node up through the node's outbound
// client: its checked key and sources, 400 for a URL that is none, 502
// with the reason for a peer that answers garbage or too late, and only
// for admins.
func TestEndToEndPeerInfo(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	const master = "master-key-for-the-peer-info-test"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master, "PFN_PEER_INFO_TIMEOUT=1s", "PFN_SCHEDULER=false")}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "peer info"})
	admin, _ := body["key"].(string)
	_, body = api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "consumer", "role": "consumer"})
	consumer, _ := body["key"].(string)
	if admin == "" || consumer == "" {
		t.Fatalf("keys: %q %q", admin, consumer)
	}

	// A real node keeps /federation/sources to its admins: the sources come
	// from its public catalogue, each once.
	up := startUpstreamNode(t, "alice@pub.example", false)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>parked domain</html>"))
	}))
	t.Cleanup(garbage.Close)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // past the node's 1 s deadline
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)

	ask := func(key, raw string) (int, map[string]any) {
		return api.do(http.MethodGet, "/federation/peer-info?url="+url.QueryEscape(raw), key, nil)
	}
	code, got := ask(admin, up.URL+"/")
	if code != http.StatusOK || got["url"] != up.URL || got["node_key_id"] != up.keyID || got["public_key"] != up.keyB64 ||
		got["pfn_node"] != true || len(got["sources"].([]any)) != 1 || got["sources"].([]any)[0] != up.source {
		t.Fatalf("peer-info of a node = %d %v; want key %s %s and source %s", code, got, up.keyID, up.keyB64, up.source)
	}

	tests := []struct {
		name, key, url string
		want           int
		says           string // part of the error
	}{
		{"no url", admin, "", http.StatusBadRequest, "empty"},
		{"not http", admin, "ftp://" + strings.TrimPrefix(up.URL, "http://"), http.StatusBadRequest, "http://"},
		{"garbage", admin, garbage.URL, http.StatusBadGateway, "content type"},
		{"hangs past the deadline", admin, hang.URL, http.StatusBadGateway, "within 1s"},
		{"a consumer key", consumer, up.URL, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := ask(tt.key, tt.url)
			msg, _ := got["error"].(string)
			if code != tt.want || !strings.Contains(msg, tt.says) {
				t.Fatalf("peer-info %q = %d %v, want %d saying %q", tt.url, code, got, tt.want, tt.says)
			}
			if tt.want == http.StatusBadRequest && got["field"] != "url" {
				t.Errorf("400 names field %v, want url", got["field"])
			}
		})
	}
}
