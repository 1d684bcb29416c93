package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/ports/httpapi"
)

// Download and verify refuse a plugin's name with a 400 that names the
// field they take: the plugin rows' plugin_id.
func TestPluginParameterNamesPluginID(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App: &httpapi.App{PublicCatalog: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
	}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/federation/download", "/federation/verify"} {
		status, body := call(t, http.MethodGet, srv.URL+path+"?source=plugin-author@plugins.example.com&plugin=Plugin%201")
		if status != http.StatusBadRequest || !strings.Contains(body["error"], "plugin_id") {
			t.Errorf("%s with a plugin name = %d %v, want 400 naming plugin_id", path, status, body)
		}
	}
}
