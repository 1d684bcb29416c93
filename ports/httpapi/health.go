package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// ReadinessChecker reports whether the node can serve: database reachable,
// schema migrated.
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

type statusBody struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, statusBody{Status: "ok"})
}

// readyz answers anyone, so it says only a generic reason ("database
// unavailable", "projections behind"); what exactly failed goes to the log.
func readyz(rc ReadinessChecker, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			reason := "not ready"
			var r interface{ Reason() string }
			if errors.As(err, &r) {
				reason = r.Reason()
			}
			log.WarnContext(c.Request().Context(), "not ready", "reason", reason, "err", err)
			return c.JSON(http.StatusServiceUnavailable, statusBody{Status: "not ready", Error: reason})
		}
		return c.JSON(http.StatusOK, statusBody{Status: "ready"})
	}
}
