package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// On a public catalogue a quarantined source's plugins are left out for
// everyone; include_quarantined=true needs a key (401 without one), and an
// admin's (403 for a consumer's), and then lists them marked.
func TestIncludeQuarantinedIsForAdmins(t *testing.T) {
	t.Parallel()
	views := app.PluginViews{
		{ID: 1, Plugin: "tool", SourceID: "alice@a.example", Version: "1.0.0"},
		{ID: 2, Plugin: "held", SourceID: "bob@b.example", Version: "1.0.0", SourceQuarantined: true},
	}
	addr := serveLimited(t, httpapi.Deps{App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true,
		ListPlugins: app.ListPlugins{Plugins: views}, FindPlugin: app.FindPlugin{Plugins: views}, Blobs: noBlobs{t}}})
	tests := []struct {
		name, query, key string
		wantCode         int
		wantListed       int
	}{
		{"anyone, no parameter", "", "", http.StatusOK, 1},
		{"anyone asking", "?include_quarantined=true", "", http.StatusUnauthorized, 0},
		{"a consumer asking", "?include_quarantined=true", "consumer-key", http.StatusForbidden, 0},
		{"an admin asking", "?include_quarantined=true", "admin-key", http.StatusOK, 2},
		{"an admin, false", "?include_quarantined=false", "admin-key", http.StatusOK, 1},
		{"not a boolean", "?include_quarantined=maybe", "admin-key", http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/federation/plugins"+tt.query, nil)
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var page struct {
				Plugins []map[string]any
				Error   string
			}
			_ = json.NewDecoder(resp.Body).Decode(&page)
			if resp.StatusCode != tt.wantCode || len(page.Plugins) != tt.wantListed {
				t.Fatalf("= %d with %d plugins (%q), want %d with %d", resp.StatusCode, len(page.Plugins), page.Error, tt.wantCode, tt.wantListed)
			}
			if tt.wantCode != http.StatusOK && page.Error == "" {
				t.Fatal("a refusal without a JSON error")
			}
		})
	}
}
