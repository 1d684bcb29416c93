package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the API's contract (OpenAPI 3.1), served at
// GET /federation/openapi.json. Tests keep it true: one walks the router
// against its paths, and the end-to-end tests validate every answer
// against its schemas (internal/apicontract).
//
//go:embed openapi.json
var OpenAPI []byte

// openAPIETag lets clients and generators revalidate cheaply; the document
// changes only with the binary.
var openAPIETag = func() string {
	sum := sha256.Sum256(OpenAPI)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}()

func openAPIDocument(c echo.Context) error {
	h := c.Response().Header()
	h.Set("ETag", openAPIETag)
	h.Set("Cache-Control", "no-cache")
	if c.Request().Header.Get("If-None-Match") == openAPIETag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, OpenAPI)
}
