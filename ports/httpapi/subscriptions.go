package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

type subscribeRequest struct {
	SourceID string          `json:"sourceId"`
	Filters  json.RawMessage `json:"filters"`
}

func subscribe(h app.Subscribe, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req subscribeRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id, req.Filters)
		if err != nil {
			return err
		}
		// success, message, source and source_id are what the original's
		// clients read; success is the subscription's, syncResult.success
		// the first sync's (false when it was left to the scheduler).
		return c.JSON(http.StatusOK, map[string]any{"subscribed": true, "success": true, "message": res.Message,
			"sourceId": id, "source": id, "source_id": id, "syncResult": viewSubscribeResult(res)})
	}
}

func unsubscribe(h app.Unsubscribe, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c, resolve)
		if err != nil {
			return err
		}
		if err := h.Handle(c.Request().Context(), principal(c), id); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"unsubscribed": true, "sourceId": id,
			"success": true, "source_id": id, "message": "Unsubscribed from " + string(id) + "."})
	}
}

func listSubscriptions(h app.ListSubscriptions) echo.HandlerFunc {
	return func(c echo.Context) error {
		subs, err := h.Handle(c.Request().Context(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"subscriptions": viewAll(subs, viewSubscription)})
	}
}

// syncSource runs a sync now; SyncNow bounds it (PFN_JOB_TIMEOUT, and the
// request's own deadline).
func syncSource(h app.SyncNow, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c, resolve)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"sourceId": id, "syncResult": viewSyncResult(res), "success": true, "source_id": id,
			"message": fmt.Sprintf("Synced %s: mirrored %d new of %d listed.", id, res.MirroredCount, res.TotalPlugins)})
	}
}
