package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// A yanked version answers 410 with the reason, is left out of listings
// unless include_yanked=true; yanking needs an admin key. (That the latest
// falls back is FindPlugin's, tested with the read model in postgres.)
func TestYankedVersionOverHTTP(t *testing.T) {
	t.Parallel()
	views := app.PluginViews{
		{ID: 1, Plugin: "tool", SourceID: "alice@a.example", Version: "1.0.0", SHA256: "aa", Size: 10, BlobKey: "k1"},
		{ID: 2, Plugin: "tool", SourceID: "alice@a.example", Version: "1.1.0", SHA256: "bb", Size: 10, BlobKey: "k2", Yanked: "malware found"},
	}
	addr := serveLimited(t, httpapi.Deps{App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true,
		ListPlugins: app.ListPlugins{Plugins: views}, FindPlugin: app.FindPlugin{Plugins: views}, Blobs: noBlobs{t}}})
	get := func(path string, out any) int {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var gone struct{ Error string }
	if code := get("/federation/download?source=alice%40a.example&plugin=tool&version=1.1.0", &gone); code != http.StatusGone ||
		!strings.Contains(gone.Error, "malware found") {
		t.Fatalf("download of a yanked version = %d %q, want 410 with the reason", code, gone.Error)
	}
	for query, want := range map[string]string{"": "1.0.0", "&include_yanked=true": "1.0.0,1.1.0:malware found"} {
		var page struct {
			Plugins []struct {
				Version string
				Yanked  *struct{ Reason string }
			}
		}
		if code := get("/federation/plugins?limit=10"+query, &page); code != http.StatusOK {
			t.Fatalf("listing%s = %d", query, code)
		}
		var got []string
		for _, p := range page.Plugins {
			s := p.Version
			if p.Yanked != nil {
				s += ":" + p.Yanked.Reason
			}
			got = append(got, s)
		}
		if strings.Join(got, ",") != want {
			t.Fatalf("listing%s = %v, want %s", query, got, want)
		}
	}
	if code := get("/federation/plugins?include_yanked=maybe", nil); code != http.StatusBadRequest {
		t.Fatalf("include_yanked=maybe = %d, want 400", code)
	}
	for _, path := range []string{"/federation/yank", "/federation/unyank"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path,
			strings.NewReader(`{"sourceId":"alice@a.example","plugin":"tool","version":"1.0.0","reason":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer consumer-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s with a consumer key = %d, want 403", path, resp.StatusCode)
		}
	}
}
