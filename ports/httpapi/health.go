package httpapi

import (
	"context"
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

func readyz(rc ReadinessChecker) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			return c.JSON(http.StatusServiceUnavailable, statusBody{Status: "not ready", Error: err.Error()})
		}
		return c.JSON(http.StatusOK, statusBody{Status: "ready"})
	}
}
