// Package httpapi is the node's REST API on echo: routes, the error-to-status
// mapping, and request logging.
package httpapi

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/webui"
)

// Deps are what the API needs from the rest of the node. A nil App serves
// only the health endpoints.
type Deps struct {
	Log       *slog.Logger
	Readiness ReadinessChecker
	App       *App
	// Metrics, when set, counts requests and key use. /metrics itself is
	// served on its own listener (PFN_METRICS_LISTEN), not here.
	Metrics Observer
	// Limits are the server's timeouts and sizes (zero fields: defaults).
	Limits Limits
	// TrustedProxies may say who is asking in X-Forwarded-For/X-Real-IP
	// (PFN_TRUSTED_PROXIES); nobody else's headers are believed.
	TrustedProxies []*net.IPNet
}

// App holds the use cases the API exposes.
type App struct {
	Authenticate    Authenticator
	CreateKey       app.CreateKey
	RevokeKey       app.RevokeKey
	AddSource       app.AddSource
	VerifySource    app.VerifySource
	UpdateSource    app.UpdateSource
	Yank            app.Yank
	Unyank          app.Unyank
	SuspendSource   app.SuspendSource
	ResumeSource    app.ResumeSource
	RemoveSource    app.RemoveSource
	ListSources     app.ListSources
	GetSourceStatus app.GetSourceStatus
	SourceReader    app.SourceReader
	// ResolveSource turns source ids from requests into sources' ids
	// (port-less ids as the original's clients build them included).
	ResolveSource  app.SourceResolver
	Subscribe      app.Subscribe
	Unsubscribe    app.Unsubscribe
	Subscriptions  app.ListSubscriptions
	SyncNow        app.SyncNow
	ListActivity   app.ListActivity
	ListPlugins    app.ListPlugins
	ListChanges    app.ListChanges // the change feed, GET /federation/changes
	FindPlugin     app.FindPlugin
	VerifyMirrored app.VerifyMirrored
	Blobs          app.BlobOpener
	NodeInfo       NodeInfo
	// PublicCatalog (PFN_PUBLIC_CATALOG) lets anyone list, download and
	// verify mirrored plugins; when false a consumer or admin key is needed.
	PublicCatalog bool
	// Compat (PFN_API_COMPAT) chooses PFN's shapes or the original node's
	// where the two clash (compat.go).
	Compat Compat
	// KeyCreationRate limits key creation per client address (per second;
	// default 1, with a burst of 10).
	KeyCreationRate float64
	// AuthFailureRate and AuthFailureBurst limit failed authentications
	// per peer address (per second; defaults 0.2 and 10).
	AuthFailureRate  float64
	AuthFailureBurst int
	// ListEvents and SourceStatusAt are the audit: the log filtered and
	// exported, and a source as of a moment (source-status?at=).
	ListEvents     app.ListEvents
	SourceStatusAt app.GetSourceStatusAt
	// PeerInfo looks another node up for the admin page (SPEC15 §6).
	PeerInfo app.GetPeerInfo
	// AcceptUpstreamLog trusts an upstream's transparency log again after
	// a fault (issue #16, upstream_log.go).
	AcceptUpstreamLog app.AcceptUpstreamLog
	// Log reports failures after a response has started (a cut-off export).
	Log *slog.Logger
	// Catalog keeps the listings' and /federation-info's answers in
	// memory (materialized.go); nil renders every answer afresh.
	Catalog *Materialized
	// The publisher protocol this node serves for the sources it mirrors
	// (node_publisher.go); PublicURL is its base URL in answers, "" for
	// the URL each request reached it at.
	AuthorData     app.ListAuthorData
	ProveOwnership app.ProveNodeOwnership
	PublicURL      string
	// The transparency log (log.go); a nil LogCheckpoint, LogTile.Log and
	// LogBundle.Log answer that the log is off (PFN_TRANSPARENCY_LOG=off).
	LogCheckpoint *app.GetLogCheckpoint
	LogTile       app.ReadLogTile
	LogBundle     app.GetLogBundle
}

// New returns the API's handler.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = peerAddress(d.TrustedProxies)
	e.Use(middleware.Recover())
	e.Use(requestID)
	obs := d.Metrics
	if obs == nil {
		obs = noObserver{}
	}
	e.Use(requestLog(d.Log, obs))
	e.Use(checkQuery, deadlines(d.Limits))
	e.Use(middleware.BodyLimit(strconv.Itoa(maxBody)))

	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.Readiness, d.Log))
	e.GET("/federation/openapi.json", openAPIDocument)
	webui.Register(e)
	if d.App != nil {
		routeFederation(e, d.App, obs, feedStreamsFor(d.Limits.withDefaults(), d.Log))
	}
	return e
}

func routeFederation(e *echo.Echo, a *App, obs Observer, streams feedStreams) {
	failRate, failBurst := a.AuthFailureRate, a.AuthFailureBurst
	if failRate <= 0 {
		failRate = 0.2
	}
	if failBurst <= 0 {
		failBurst = 10
	}
	auth := requireKey(a.Authenticate, obs, newFailureLimiter(failRate, failBurst))
	rate := a.KeyCreationRate
	if rate <= 0 {
		rate = 1
	}
	limitKeys := perAddress(rate, 10, "too many keys created from this address")
	// No middleware on the group itself: echo then routes unknown methods
	// of a group path to its not-found handler, and 405 would become 404.
	// auth says who is calling; authorizedBy asks the route's use case
	// whether that caller may run it (auth.go).
	f := e.Group("/federation")
	f.POST("/create-admin-key", createKey(a.CreateKey, a.Compat), limitKeys, auth, authorizedBy(a.CreateKey))
	f.POST("/revoke-key", revokeKey(a.RevokeKey), auth, authorizedBy(a.RevokeKey))
	f.POST("/add-source", addSource(a.AddSource, a.SourceReader), auth, authorizedBy(a.AddSource))
	f.GET("/sources", listSources(a.ListSources, a.Compat), auth, authorizedBy(a.ListSources),
		cached(a.Catalog, MaterializedRoute{Key: queryKey("sources", "include_removed"), CacheControl: cacheListingPrivate}))
	f.POST("/verify-source", verifySource(a.VerifySource, a.SourceReader, a.ResolveSource), auth, authorizedBy(a.VerifySource))
	f.POST("/update-source", updateSource(a.UpdateSource, a.SourceReader, a.ResolveSource), auth, authorizedBy(a.UpdateSource))
	f.POST("/yank", yankVersion(a.Yank, a.ResolveSource), auth, authorizedBy(a.Yank))
	f.POST("/unyank", yankVersion(a.Unyank, a.ResolveSource), auth, authorizedBy(a.Unyank))
	f.POST("/suspend-source", suspendSource(a.SuspendSource, a.SourceReader, a.ResolveSource), auth, authorizedBy(a.SuspendSource))
	f.POST("/resume-source", resumeSource(a.ResumeSource, a.SourceReader, a.ResolveSource), auth, authorizedBy(a.ResumeSource))
	f.POST("/remove-source", removeSource(a.RemoveSource, a.SourceReader, a.ResolveSource), auth, authorizedBy(a.RemoveSource))
	f.POST("/accept-upstream-log", acceptUpstreamLog(a.AcceptUpstreamLog, a.SourceReader, a.ResolveSource), auth,
		authorizedBy(a.AcceptUpstreamLog))
	f.GET("/source-status", sourceStatus(a.GetSourceStatus, a.SourceStatusAt, a.ResolveSource), auth, authorizedBy(a.GetSourceStatus), authorizedBy(a.SourceStatusAt))
	f.GET("/events", listEvents(a.ListEvents, a.Log), auth, authorizedBy(a.ListEvents))
	f.POST("/sync-source", syncSource(a.SyncNow, a.ResolveSource), auth, authorizedBy(a.SyncNow))
	f.GET("/activity", listActivity(a.ListActivity, a.ResolveSource, a.Compat), auth, authorizedBy(a.ListActivity), tagged(cacheListingPrivate))
	f.POST("/subscribe", subscribe(a.Subscribe, a.ResolveSource), auth)
	f.POST("/unsubscribe", unsubscribe(a.Unsubscribe, a.ResolveSource), auth)
	f.GET("/subscriptions", listSubscriptions(a.Subscriptions), auth, tagged(cacheListingPrivate))
	f.GET("/peer-info", peerInfo(a.PeerInfo), auth, authorizedBy(a.PeerInfo))

	var catalog []echo.MiddlewareFunc
	if !a.PublicCatalog {
		catalog = append(catalog, auth)
	}
	// include_quarantined is for admins: on a public catalogue it needs a key.
	f.GET("/plugins", listPlugins(a.ListPlugins, a.ResolveSource), append(catalog, keyWhenAsked(auth, a.PublicCatalog, "include_quarantined"),
		privateWhenKeyed, cached(a.Catalog, listingRoute("plugins", pluginListParams...)))...)
	f.GET("/download", downloadPlugin(a.FindPlugin, a.Blobs, a.ResolveSource, a.Log), catalog...)
	f.HEAD("/download", downloadPlugin(a.FindPlugin, a.Blobs, a.ResolveSource, a.Log), catalog...)
	f.GET("/verify", verifyPlugin(a.VerifyMirrored, a.ResolveSource), catalog...)
	f.GET("/changes", listChanges(a.ListChanges, a.ResolveSource, streams),
		append(catalog, varyAccept, privateWhenKeyed, cached(a.Catalog, feedPageRoute))...)
	e.GET("/federation-info", federationInfo(a.NodeInfo, a.PublicURL), cached(nodeInfoCache(a.Catalog), nodeInfoRoute(a.PublicURL)))
	// The publisher protocol for the sources this node mirrors (node_publisher.go).
	// Behind the catalogue's rule too: its answers tell which sources exist.
	e.POST("/verify-ownership", proveNodeOwnership(a.ProveOwnership, a.ResolveSource),
		append(catalog, perAddress(2, 20, "too many ownership challenges from this address"))...)
	e.GET("/author-data", authorData(a.AuthorData, a.ResolveSource, a.NodeInfo, a.PublicURL), catalog...)
	f.GET("/files/:source/:plugin/:version", nodeFile(a.FindPlugin, a.Blobs, a.ResolveSource, a.Log), catalog...)
	f.HEAD("/files/:source/:plugin/:version", nodeFile(a.FindPlugin, a.Blobs, a.ResolveSource, a.Log), catalog...)
	routeLog(f, a, catalog)
}

// requestLog writes one line per request. It logs the route pattern, not the
// raw URL, so that query strings never reach the log.
func requestLog(log *slog.Logger, obs Observer) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			status := c.Response().Status
			if err != nil {
				status = statusOf(err)
			}
			level := slog.LevelInfo
			if c.Path() == "/healthz" || c.Path() == "/readyz" {
				level = slog.LevelDebug
			}
			route := c.Path()
			if route == "" {
				route = "unmatched" // never the raw path: unbounded label values
			}
			obs.Request(route, c.Request().Method, status, time.Since(start))
			log.Log(c.Request().Context(), level, "http request",
				"method", c.Request().Method,
				"route", c.Path(),
				"status", status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return err
		}
	}
}
