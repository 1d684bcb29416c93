package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// queryKey keys a route's answers by the caller's role and the named query
// parameters (the only ones the route reads), in a fixed order: other
// parameters and their order make no other entry. Values are kept as sent
// (include_yanked=1 and =true are two entries of the same answer): a value
// rewritten here could make a request the handler refuses share the entry
// of one it answers. The role is in the key because admin-only parameters
// change what is listed: an entry an admin's request made is never a
// consumer's answer.
func queryKey(route string, params ...string) func(c echo.Context) (string, bool) {
	return func(c echo.Context) (string, bool) {
		var b strings.Builder
		b.WriteString(route)
		b.WriteString("\x00")
		b.WriteString(principal(c).Role.String())
		for _, p := range params {
			b.WriteString("\x00")
			b.WriteString(c.QueryParam(p))
		}
		return b.String(), true
	}
}

// Cache-Control of the catalogue's answers. Listings are revalidated on
// every use (a 304 costs nothing; a client must see its own write at
// once); a keyed answer stays out of shared caches. A version's file never
// changes: immutable. The node's info changes only with a restart.
const (
	cacheListing        = "public, no-cache"
	cacheListingPrivate = "private, no-cache"
	cacheImmutable      = "public, max-age=31536000, immutable"
	cacheNodeInfo       = "public, max-age=60"
)

// listingRoute keeps a listing's answers by the named parameters.
func listingRoute(route string, params ...string) MaterializedRoute {
	return MaterializedRoute{Key: queryKey(route, params...), CacheControl: cacheListing}
}

// privateWhenKeyed sends cacheListingPrivate instead of the route's
// Cache-Control for a request that carried a key.
func privateWhenKeyed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if presentedKey(c) != "" {
			c.Response().Header().Set("Cache-Control", cacheListingPrivate)
		}
		return next(c)
	}
}

// keyedCacheControl is public, or, for a request that carried a key, the
// same with "private" for "public": a keyed answer stays out of shared
// caches (cacheListing becomes cacheListingPrivate).
func keyedCacheControl(c echo.Context, public string) string {
	if presentedKey(c) == "" {
		return public
	}
	return strings.Replace(public, "public", "private", 1)
}

// cached is m.Serve(r), or nothing when the node runs without a cache.
func cached(m *Materialized, r MaterializedRoute) echo.MiddlewareFunc {
	if m == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return m.Serve(r)
}

// tagged gives a listing that is not kept (it depends on who asks) the
// same ETag, If-None-Match and gzip as a kept one: the answer is rendered
// every time, but an unchanged one costs the client no bytes.
func tagged(cacheControl string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rec, err := record(c, next)
			if err != nil || rec.status != http.StatusOK {
				return err
			}
			return sendMaterialized(c, newEntry("", 0, rec, time.Time{}, 0), cacheControl)
		}
	}
}

// nodeInfoMaxAge: entries of /federation-info are rendered again at least
// this often, whatever the generation.
const nodeInfoMaxAge = time.Minute

// nodeInfoCache keeps /federation-info's answers apart from the listings':
// without PFN_PUBLIC_URL there is one per Host a client sends, and made-up
// Hosts must not push the listings out. The answer changes only with a
// restart, so its entries need no generation, only their maximum age.
func nodeInfoCache(listings *Materialized) *Materialized {
	if listings == nil {
		return nil
	}
	return NewMaterialized(MaterializedLimits{Entries: 16, Bytes: 1 << 20})
}

// nodeInfoRoute: one answer for everyone who reached the node at the same
// base URL (the answer names it unless PFN_PUBLIC_URL fixes it).
func nodeInfoRoute(public string) MaterializedRoute {
	return MaterializedRoute{Key: func(c echo.Context) (string, bool) { return "federation-info\x00" + baseURL(c, public), true },
		CacheControl: cacheNodeInfo, MaxAge: nodeInfoMaxAge}
}

// feedPageRoute keeps the feed's pages. A long poll or a stream is never
// kept: it answers what comes next, not what is.
var feedPageRoute = MaterializedRoute{Key: func(c echo.Context) (string, bool) {
	if c.QueryParam("wait") != "" || feedFormatOf(c) != feedPage {
		return "", false
	}
	return queryKey("changes", "after", "limit", "source")(c)
}, CacheControl: cacheListing}

// downloadCacheControl: a named version's file never changes (immutable);
// the latest version without a version is another file tomorrow.
func downloadCacheControl(c echo.Context, version string) string {
	if version == "" {
		return cacheListing
	}
	return keyedCacheControl(c, cacheImmutable)
}
