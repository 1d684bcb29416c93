package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// pluginListParams are the query parameters listPlugins reads: the
// cache's key (materialized_keys.go) is made of them.
var pluginListParams = []string{"source", "tag", "q", "include_yanked", "include_quarantined", "limit", "cursor"}

func listPlugins(h app.ListPlugins, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := app.PluginQuery{Source: c.QueryParam("source"), Tag: c.QueryParam("tag"), Text: c.QueryParam("q")}
		var err error
		if q.Source, err = resolveSourceFilter(c, resolve, q.Source); err != nil {
			return err
		}
		if q.IncludeYanked, err = boolParam(c, "include_yanked"); err != nil {
			return err
		}
		if q.IncludeQuarantined, err = boolParam(c, "include_quarantined"); err != nil {
			return err
		}
		if q.IncludeQuarantined {
			if err := app.AuthorizeQuarantined(principal(c)); err != nil {
				return err
			}
		}
		if v := c.QueryParam("limit"); v != "" {
			if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 {
				return domain.InField("limit", fmt.Errorf("limit %q: want a positive whole number: %w", truncateParam(v), domain.ErrInvalidInput))
			}
		}
		if v := c.QueryParam("cursor"); v != "" {
			if q.After, err = strconv.ParseInt(v, 10, 64); err != nil || q.After < 0 {
				return domain.InField("cursor", fmt.Errorf("cursor %q is not one this API gave out: %w", truncateParam(v), domain.ErrInvalidInput))
			}
		}
		page, next, err := h.Handle(c.Request().Context(), q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"plugins": viewAll(page, viewPlugin), "next_cursor": next})
	}
}

func pluginParams(c echo.Context, resolve app.SourceResolver) (source, plugin, version string, err error) {
	return checkPluginParams(c, resolve, c.QueryParam("source"), c.QueryParam("plugin"), c.QueryParam("version"))
}

// checkPluginParams checks a source, plugin and version from a request
// and resolves the source's id.
func checkPluginParams(c echo.Context, resolve app.SourceResolver, source, plugin, version string) (string, string, string, error) {
	var err error
	if _, err = sourceIDIn("source", source); err == nil {
		err = required("plugin", plugin)
	}
	if err == nil {
		if err = domain.ValidatePluginSlug(plugin); err != nil {
			// A plugin's name ("Plugin 1") is the likely mistake.
			err = domain.InField("plugin", fmt.Errorf("plugin takes a /federation/plugins row's plugin_id: %w", err))
		}
	}
	if err == nil {
		var id domain.SourceID
		id, err = resolveSourceID(c, resolve, "source", source)
		source = string(id)
	}
	return source, plugin, version, err
}

func downloadPlugin(find app.FindPlugin, blobs app.BlobOpener, resolve app.SourceResolver, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		source, plugin, version, err := pluginParams(c, resolve)
		if err != nil {
			return err
		}
		return serveFile(c, find, blobs, log, source, plugin, version, downloadCacheControl(c, version))
	}
}

// serveFile sends a mirrored version's file, with Cache-Control when given.
func serveFile(c echo.Context, find app.FindPlugin, blobs app.BlobOpener, log *slog.Logger, source, plugin, version, cacheControl string) error {
	p, err := find.Handle(c.Request().Context(), source, plugin, version)
	if err != nil {
		return err
	}
	if p.StoredCopy.Damage != "" {
		return refuseDamaged(c, p)
	}
	rc, size, err := blobs.Open(c.Request().Context(), p.BlobKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	if size != p.Size {
		return fmt.Errorf("stored copy of %s %s has %d bytes, recorded %d: %w", p.Plugin, p.Version, size, p.Size, errDamaged)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/zip")
	h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	h.Set("ETag", `"`+p.SHA256+`"`)
	h.Set("Digest", digestHeader(p.SHA256))
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, p.Plugin+"-"+p.Version+".zip"))
	if cacheControl != "" {
		h.Set("Cache-Control", cacheControl)
	}
	if match := c.Request().Header.Get("If-None-Match"); match == `"`+p.SHA256+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	return sendVerified(c, rc, p, log)
}

func verifyPlugin(h app.VerifyMirrored, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		source, plugin, version, err := pluginParams(c, resolve)
		if err != nil {
			return err
		}
		report, err := h.Handle(c.Request().Context(), source, plugin, version)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, viewVerifyReport(report))
	}
}

// NodeInfo is the node's own /federation-info.
type NodeInfo struct {
	Version   string   `json:"version"`
	Features  []string `json:"features"`
	Node      string   `json:"node"`
	PublicKey string   `json:"public_key"`
	KeyID     string   `json:"key_id"`
	// NodeKeys lists every key the node signed with, the current one
	// first, so that statements signed before a rotation still verify.
	// public_key and key_id above stay the current key's for clients that
	// know only them.
	NodeKeys []NodeKey `json:"node_keys,omitempty"`
	// AssetInfo says where the node serves its files as a publisher.
	AssetInfo *assetInfoView `json:"assetInfo,omitempty"`
	// Log names the node's transparency log; nil while it is off.
	Log *LogInfo `json:"log,omitempty"`
}

// NodeKey is one of the node's signing keys and the period it signed in.
type NodeKey struct {
	KeyID      string     `json:"key_id"`
	PublicKey  string     `json:"public_key"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until"` // null for the current key
}

// boolParam reads an optional true/false query parameter (false when
// absent).
func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, domain.InField(name, fmt.Errorf("%s %q: want true or false: %w", name, truncateParam(v), domain.ErrInvalidInput))
	}
	return b, nil
}

func truncateParam(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
