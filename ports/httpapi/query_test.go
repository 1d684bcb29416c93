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

// Every registered route, public ones included, refuses a query parameter
// with a NUL or invalid UTF-8 (name or value) with 400 naming it: the
// check runs before any handler, so no route can pass such bytes to
// PostgreSQL (which answered SQLSTATE 22021, a 500).
func TestEveryRouteRefusesUnusableQueryParameters(t *testing.T) {
	t.Parallel()
	e := httpapi.New(httpapi.Deps{
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		App:     &httpapi.App{Authenticate: keys{}, PublicCatalog: true},
		Metrics: nil,
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	queries := []struct{ raw, names string }{
		{"q=%00", `"q"`},
		{"source=%ff", `"source"`},
		{"limit=5&tag=a%00b", `"tag"`},
		{"%ff=1", `"%ff"`},
		{"a%00b=1", `"a%00b"`},
		{"cursor=%zz", `"cursor"`},
	}
	routes := e.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered: the federation routes are missing", len(routes))
	}
	for _, r := range routes {
		path := strings.ReplaceAll(r.Path, "*", "app.js")
		for _, q := range queries {
			req, err := http.NewRequest(r.Method, srv.URL+path+"?"+q.raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer admin-key")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			decodeErr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s %s?%s = %d %v, want 400", r.Method, r.Path, q.raw, resp.StatusCode, body)
				continue
			}
			if r.Method == http.MethodHead {
				continue // no body to name it in
			}
			if decodeErr != nil || !strings.Contains(body["error"], q.names) {
				t.Errorf("%s %s?%s: body %v (%v) does not name %s", r.Method, r.Path, q.raw, body, decodeErr, q.names)
			}
		}
	}
}
