// Package httpapi is the node's REST API on echo: routes, the error-to-status
// mapping, and request logging.
package httpapi

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Deps are what the API needs from the rest of the node.
type Deps struct {
	Log       *slog.Logger
	Readiness ReadinessChecker
}

// New returns the API's handler.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(requestLog(d.Log))

	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.Readiness))
	return e
}

// requestLog writes one line per request. It logs the route pattern, not the
// raw URL, so that query strings never reach the log.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
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
