package httpapi

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// The node answers the publisher protocol for the sources it mirrors
// (SPEC15 §2, docs/protocol.md "A node as a publisher"), so that another
// node adds it as a source with the requests it already sends publishers.

// filesScheme is the assetInfo.namingScheme of a node's files.
const filesScheme = "federation/files/{author}/{slug}/{version}"

// baseURL is the node's public URL: PublicURL when set, else the URL the
// request reached it at (what a downstream node added as instance_url).
func baseURL(c echo.Context, public string) string {
	if public != "" {
		return public
	}
	return c.Scheme() + "://" + c.Request().Host
}

func federationInfo(info NodeInfo, public string) echo.HandlerFunc {
	return func(c echo.Context) error {
		answer := info
		answer.AssetInfo = &assetInfoView{Domain: baseURL(c, public), NamingScheme: filesScheme}
		if info.Log != nil {
			l := *info.Log
			l.Checkpoint = baseURL(c, public) + "/federation/log/checkpoint"
			answer.Log = &l
		}
		return c.JSON(http.StatusOK, answer)
	}
}

// perAddress limits a public route per client address (rate per second).
func perAddress(perSecond float64, burst int, what string) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: 3 * time.Minute}),
		ErrorHandler: func(echo.Context, error) error {
			return echo.NewHTTPError(http.StatusForbidden, "cannot tell who is asking")
		},
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return tooManyRequests(c, time.Duration(float64(time.Second)/perSecond), what)
		},
	})
}

func proveNodeOwnership(h app.ProveNodeOwnership, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req struct {
			Username  string `json:"username"`
			Challenge string `json:"challenge"`
		}
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		if _, err := sourceIDIn("username", req.Username); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "username", req.Username)
		if err != nil {
			return err
		}
		sig, err := h.Handle(c.Request().Context(), id, req.Challenge)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"signature": sig})
	}
}

// nodeKeys maps the node's key ids to their raw keys in base64, for the
// hop a listing adds for this node.
func nodeKeysByID(info NodeInfo) map[string]string {
	out := map[string]string{}
	keys := append([]NodeKey{{KeyID: info.KeyID, PublicKey: info.PublicKey}}, info.NodeKeys...)
	for _, k := range keys {
		if pub, err := domain.ParsePublicKey(k.PublicKey); err == nil {
			out[k.KeyID] = encodeKey(pub)
		}
	}
	return out
}

func authorData(h app.ListAuthorData, resolve app.SourceResolver, info NodeInfo, public string) echo.HandlerFunc {
	keys := nodeKeysByID(info)
	return func(c echo.Context) error {
		raw := c.QueryParam("author")
		if _, err := sourceIDIn("author", raw); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "author", raw)
		if err != nil {
			return err
		}
		listing, err := h.Handle(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, viewAuthorData(listing, keys, baseURL(c, public)))
	}
}

// nodeFile serves GET|HEAD /federation/files/{source}/{plugin}/{version}:
// the same file and refusals as /federation/download, cacheable for ever
// (a version's bytes never change).
func nodeFile(find app.FindPlugin, blobs app.BlobOpener, resolve app.SourceResolver, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		var parts [3]string
		for i, name := range []string{"source", "plugin", "version"} {
			v, err := url.PathUnescape(c.Param(name))
			if err != nil {
				return domain.InField(name, domain.ErrInvalidInput)
			}
			parts[i] = v
		}
		source, plugin, version, err := checkPluginParams(c, resolve, parts[0], parts[1], parts[2])
		if err != nil {
			return err
		}
		if version == "" {
			return required("version", version)
		}
		return serveFile(c, find, blobs, log, source, plugin, version, downloadCacheControl(c, version))
	}
}

func encodeKey(pub []byte) string { return base64.StdEncoding.EncodeToString(pub) }
