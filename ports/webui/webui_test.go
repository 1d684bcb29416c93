package webui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/ports/webui"
)

func TestServesThePageAndItsAssets(t *testing.T) {
	t.Parallel()
	e := echo.New()
	webui.Register(e)

	get := func(path string, header ...string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Result()
	}

	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/ui/app.js">`},
		{"/ui/app.js", "text/javascript; charset=utf-8", "import"},
		{"/ui/dom.js", "text/javascript; charset=utf-8", "createTextNode"},
		{"/ui/app.css", "text/css; charset=utf-8", ":root"},
		{"/ui/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := get(tt.path)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tt.wantType ||
				!strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("GET %s = %d %q, body %.80q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self';", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline or eval'd script", csp)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-cache" {
				t.Errorf("headers %v", resp.Header)
			}
			etag := resp.Header.Get("ETag")
			if again := get(tt.path, "If-None-Match", etag); etag == "" || again.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation with ETag %q = %d, want 304", etag, again.StatusCode)
			}
		})
	}

	for _, path := range []string{"/ui/nope.js", "/ui/", "/ui/../webui.go", "/ui/index.html", "/ui/static/app.js"} {
		if resp := get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

// The page must not build markup from strings: that is how publisher data
// would become script.
func TestScriptsNeverParseMarkup(t *testing.T) {
	t.Parallel()
	e := echo.New()
	webui.Register(e)
	// Every script there is, so a new one cannot be forgotten here.
	names, err := filepath.Glob("static/*.js")
	if err != nil || len(names) < 7 {
		t.Fatalf("scripts found: %v, %v", names, err)
	}
	for _, name := range names {
		name = filepath.Base(name)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/"+name, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /ui/%s = %d", name, rec.Code)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(rec.Body.String(), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}
