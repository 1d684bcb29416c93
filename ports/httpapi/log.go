package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// The node's transparency log (issue #16), served as C2SP tlog-tiles
// under /federation/log/ (https://c2sp.org/tlog-tiles): a signed
// checkpoint, tiles of hashes and entry bundles, and per mirrored version
// a bundle proving it offline.

// LogInfo is the "log" member of /federation-info: the log's origin, the
// note verifier key of its checkpoints, and where the checkpoint is.
type LogInfo struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	Checkpoint  string `json:"checkpoint"` // filled per request: the base URL is the request's unless PFN_PUBLIC_URL is set
}

// errLogOff answers the log's routes of a node run with
// PFN_TRANSPARENCY_LOG=off.
var errLogOff = fmt.Errorf("the transparency log is off: %w", domain.ErrNotFound)

// Cache-Control of the log: a checkpoint is the newest tree, revalidated
// on every use; a full tile never changes, a partial one grows.
const (
	cacheCheckpoint  = "no-cache"
	cacheFullTile    = cacheImmutable
	cachePartialTile = "public, max-age=60"
)

func routeLog(f *echo.Group, a *App, catalog []echo.MiddlewareFunc) {
	f.GET("/log/checkpoint", logCheckpoint(a.LogCheckpoint), catalog...)
	f.GET("/log/tile/*", logTile(a.LogTile), catalog...)
	f.GET("/bundle", logBundle(a.LogBundle, a.ResolveSource), catalog...)
}

func logCheckpoint(h *app.GetLogCheckpoint) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h == nil {
			return errLogOff
		}
		cp, err := h.Handle(c.Request().Context())
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", cacheCheckpoint)
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", cp.Signed)
	}
}

func logTile(h app.ReadLogTile) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.Log == nil {
			return errLogOff
		}
		t, err := tlogtiles.ParsePath("tile/" + c.Param("*"))
		if err != nil {
			return fmt.Errorf("%w: %w", err, domain.ErrInvalidInput)
		}
		data, err := h.Handle(c.Request().Context(), t)
		if err != nil {
			return err
		}
		cache := cachePartialTile
		if t.W == tlogtiles.Width {
			cache = cacheFullTile
		}
		c.Response().Header().Set("Cache-Control", keyedCacheControl(c, cache))
		return c.Blob(http.StatusOK, "application/octet-stream", data)
	}
}

func logBundle(h app.GetLogBundle, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.Log == nil {
			return errLogOff
		}
		source, plugin, version, err := pluginParams(c, resolve)
		if err != nil {
			return err
		}
		b, err := h.Handle(c.Request().Context(), source, plugin, version)
		if err != nil {
			return err
		}
		// Revalidated on every use: the checkpoint in it grows.
		c.Response().Header().Set("Cache-Control", keyedCacheControl(c, cacheListing))
		return c.JSON(http.StatusOK, viewLogBundle(b))
	}
}

func viewLogBundle(b app.LogBundle) logbundle.Bundle {
	p := b.Plugin
	proof := make([]string, len(b.Proof))
	for i, h := range b.Proof {
		proof[i] = h.String() // standard base64
	}
	return logbundle.Bundle{Format: logbundle.Format, Source: p.SourceID, Plugin: p.Plugin, Version: p.Version,
		Statement: base64.StdEncoding.EncodeToString(b.Entry.Statement), NodeSignature: b.Entry.Signature,
		NodeKey:            base64.StdEncoding.EncodeToString(b.NodeKey),
		PublisherClaim:     logbundle.Claim{ID: p.Plugin, Name: p.Name, Version: p.Version, Description: p.Description},
		PublisherSignature: p.PublisherSignature, PublisherSignatureV2: p.PublisherSignatureV2, PublisherKey: p.PublisherKey,
		LogIndex: b.Entry.Index, InclusionProof: proof, Checkpoint: string(b.Checkpoint.Signed), VerifierKey: b.Checkpoint.VerifierKey}
}
