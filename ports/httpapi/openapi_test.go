package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/internal/apicontract"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// operations are "METHOD /path" in OpenAPI's path syntax.
type operations []string

// routerOperations are the routes a node with every use case serves.
func routerOperations(t *testing.T) operations {
	t.Helper()
	e := httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), App: &httpapi.App{}})
	var ops operations
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // the 404 answer for unknown paths: not an operation
		}
		ops = append(ops, r.Method+" "+openAPIPath(r.Path))
	}
	slices.Sort(ops)
	return slices.Compact(ops)
}

// openAPIPath writes echo's :name as {name}; the wildcards, the admin
// page's /ui/* and the log's /federation/log/tile/*, are documented as
// /ui/{asset} and /federation/log/tile/{tile}.
func openAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = "{" + p[1:] + "}"
		case p == "*" && i > 0 && parts[i-1] == "tile":
			parts[i] = "{tile}"
		case p == "*":
			parts[i] = "{asset}"
		}
	}
	return strings.Join(parts, "/")
}

// documentOperations are the operations doc describes.
func documentOperations(t *testing.T, doc map[string]any) operations {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the document has no paths")
	}
	var ops operations
	for path, item := range paths {
		for method := range item.(map[string]any) {
			switch method {
			case "get", "head", "post", "put", "patch", "delete", "options", "trace":
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// compareRoutes names what the document lacks and what it describes that
// the router does not serve.
func compareRoutes(router, documented operations) (undocumented, unserved []string) {
	for _, op := range router {
		if !slices.Contains(documented, op) {
			undocumented = append(undocumented, op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(router, op) {
			unserved = append(unserved, op)
		}
	}
	return undocumented, unserved
}

func parseDocument(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatalf("ports/httpapi/openapi.json is not JSON: %v", err)
	}
	return doc
}

// TestOpenAPIDocumentsEveryRoute walks the router: every route it serves
// must be in the document, and every documented operation must be served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	undocumented, unserved := compareRoutes(routerOperations(t), documentOperations(t, parseDocument(t)))
	if len(undocumented) > 0 {
		t.Errorf("routes missing from ports/httpapi/openapi.json:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unserved) > 0 {
		t.Errorf("ports/httpapi/openapi.json documents operations the router does not serve:\n  %s", strings.Join(unserved, "\n  "))
	}
}

// TestRouteWalkNamesWhatDiffers proves the walk fails, and by name, when
// the document loses a path or an operation, or gains one.
func TestRouteWalkNamesWhatDiffers(t *testing.T) {
	t.Parallel()
	router := routerOperations(t)
	cases := []struct {
		name             string
		edit             func(paths map[string]any)
		wantUndocumented []string
		wantUnserved     []string
	}{
		{"unchanged", func(map[string]any) {}, nil, nil},
		{"a path removed", func(p map[string]any) { delete(p, "/federation/sources") },
			[]string{"GET /federation/sources"}, nil},
		{"HEAD of download removed", func(p map[string]any) { delete(p["/federation/download"].(map[string]any), "head") },
			[]string{"HEAD /federation/download"}, nil},
		{"an operation the router lacks", func(p map[string]any) {
			p["/federation/sources"].(map[string]any)["delete"] = map[string]any{}
		}, nil, []string{"DELETE /federation/sources"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := parseDocument(t) // a copy of its own to edit
			tc.edit(doc["paths"].(map[string]any))
			undocumented, unserved := compareRoutes(router, documentOperations(t, doc))
			if !slices.Equal(undocumented, tc.wantUndocumented) || !slices.Equal(unserved, tc.wantUnserved) {
				t.Fatalf("undocumented %q, unserved %q; want %q, %q", undocumented, unserved, tc.wantUndocumented, tc.wantUnserved)
			}
		})
	}
}

// TestOpenAPIIsServed: the document is public, JSON, keeps its own
// contract, and revalidates.
func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), App: &httpapi.App{}}))
	defer srv.Close()
	client := &http.Client{Transport: apicontract.Transport(t, nil)}
	resp, err := client.Get(srv.URL + "/federation/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /federation/openapi.json = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("served document: openapi %q, err %v", doc.OpenAPI, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/federation/openapi.json", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation with the ETag = %d, want 304", again.StatusCode)
	}
}
