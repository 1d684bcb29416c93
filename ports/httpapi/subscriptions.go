package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

type subscribeRequest struct {
	SourceID string          `json:"sourceId"`
	Filters  json.RawMessage `json:"filters"`
}

func subscribe(h app.Subscribe) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req subscribeRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := sourceIDIn("sourceId", req.SourceID)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id, req.Filters)
		if err != nil {
			return err
		}
		// success, message and source are what the original's clients read.
		return c.JSON(http.StatusOK, map[string]any{"subscribed": true, "success": true, "message": res.Message,
			"sourceId": id, "source": id, "syncResult": res})
	}
}

func unsubscribe(h app.Unsubscribe) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c)
		if err != nil {
			return err
		}
		if err := h.Handle(c.Request().Context(), principal(c), id); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"unsubscribed": true, "sourceId": id})
	}
}

func listSubscriptions(h app.ListSubscriptions) echo.HandlerFunc {
	return func(c echo.Context) error {
		subs, err := h.Handle(c.Request().Context(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"subscriptions": subs})
	}
}

// syncSource runs a sync now; SyncNow bounds it (PFN_JOB_TIMEOUT, and the
// request's own deadline).
func syncSource(h app.SyncNow) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"sourceId": id, "syncResult": res})
	}
}
