package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// upstreamNode is a real second node mirroring a publisher, as another
// node adds it as an upstream: its URL, its node key (as /federation-info
// shows it) and the id of the publisher's source there.
type upstreamNode struct {
	attestNode
	URL    string
	keyID  string
	keyB64 string // raw 32 bytes, base64
	source string
}

func startUpstreamNode(t *testing.T, pfn string, pub publisherProc) upstreamNode {
	t.Helper()
	n := startAttestNode(t, pfn)
	source, _ := n.subscribe(t, pub)
	_, info := n.api.do(http.MethodGet, "/federation-info", "", nil)
	key, err := domain.ParsePublicKey(fmt.Sprint(info["public_key"]))
	if err != nil {
		t.Fatalf("the upstream's /federation-info key: %v (%v)", err, info)
	}
	return upstreamNode{attestNode: n, URL: n.api.base, keyID: domain.KeyID(key), keyB64: base64.StdEncoding.EncodeToString(key), source: source}
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
	pub := startPublisher(t, buildBinary(t, "../pfn-publisher", "pfn-publisher"), "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-admin")
	setCatalog(t, pub, plainEntries(2, 512))
	up := startUpstreamNode(t, pfn, pub)
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
