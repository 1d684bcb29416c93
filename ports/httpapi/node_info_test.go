package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/ports/httpapi"
)

// /federation-info names the base URL downstream nodes fetch files from:
// PFN_PUBLIC_URL when set, else the URL the request came to. Its answers
// are kept in memory, so one Host must never be answered with another's.
func TestFederationInfoNamesItsBaseURL(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name, public, host, want string
	}{
		{"the host the request came to", "", "a.example:8080", "http://a.example:8080"},
		{"another host is not answered from the first's entry", "", "b.example", "http://b.example"},
		{"the configured public URL whatever the host", "https://node.example", "b.example", "https://node.example"},
	}
	cache := httpapi.NewMaterialized(httpapi.MaterializedLimits{Entries: 16, Bytes: 1 << 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log, App: &httpapi.App{PublicCatalog: true, Log: log,
				PublicURL: tt.public, Catalog: cache, NodeInfo: httpapi.NodeInfo{Version: "1.0.0"}}}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/federation-info", nil)
			req.Host = tt.host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var info struct {
				AssetInfo struct{ Domain string } `json:"assetInfo"`
			}
			if res.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil {
				t.Fatalf("GET /federation-info = %d %s", res.StatusCode, body)
			}
			if info.AssetInfo.Domain != tt.want {
				t.Errorf("assetInfo.domain = %q, want %q", info.AssetInfo.Domain, tt.want)
			}
			if cache.Len() != 0 {
				t.Errorf("the listings' cache holds %d entries: made-up Hosts would push the listings out", cache.Len())
			}
		})
	}
}

// A private catalogue keeps the publisher protocol's answers to callers
// with a key too: they tell which sources the node mirrors.
func TestPrivateCatalogKeepsThePublisherProtocol(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: log, App: &httpapi.App{PublicCatalog: false, Authenticate: rolesKeys{}, Log: log}}))
	defer srv.Close()
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/verify-ownership", `{"username":"a@b.example","challenge":"x"}`},
		{http.MethodGet, "/author-data?author=a@b.example", ""},
		{http.MethodGet, "/federation/files/a@b.example/p/1.0.0", ""},
	} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"`) {
			t.Errorf("%s %s without a key = %d %s, want 401 JSON", r.method, r.path, res.StatusCode, body)
		}
	}
}
