// Package webui is the node's admin page: plain HTML, CSS and JavaScript
// embedded in the binary, served at / with the assets under /ui/. The page
// talks only to the node's own JSON API.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed static
var static embed.FS

// csp allows nothing but the node itself: no inline script or style, no
// other origin. Publisher data that escaped the page's own escaping could
// still not run.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// contentTypes is fixed here rather than read from mime, whose table the
// host's /etc/mime.types can change.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Register serves the page at / and its assets at /ui/NAME.
func Register(e *echo.Echo) {
	assets := load()
	methods := []string{http.MethodGet, http.MethodHead}
	e.Match(methods, "/", serve(assets["index.html"]))
	e.Match(methods, "/ui/*", func(c echo.Context) error {
		a, ok := assets[c.Param("*")]
		if !ok || c.Param("*") == "index.html" {
			return echo.ErrNotFound
		}
		return serve(a)(c)
	})
}

// load reads every embedded file once; the set is fixed at build time.
func load() map[string]asset {
	root, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	out := map[string]asset{}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			ctype = "application/octet-stream"
		}
		out[name] = asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

// serve answers with the asset. Names carry no version, so the browser
// revalidates every time (no-cache) and gets a 304 when the ETag matches:
// a new binary is never shadowed by a stale script.
func serve(a asset) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Set(echo.HeaderContentType, a.ctype)
		http.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(a.body))
		return nil
	}
}
