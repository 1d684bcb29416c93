package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// yankRequest is the body of POST /federation/yank and /federation/unyank.
type yankRequest struct {
	SourceID string `json:"sourceId"`
	Plugin   string `json:"plugin"`
	Version  string `json:"version"`
	Reason   string `json:"reason"`
}

// yankHandler is app.Yank or app.Unyank: the same request, the opposite change.
type yankHandler interface {
	Handle(ctx context.Context, by app.Principal, req app.YankRequest) (app.YankResult, error)
}

func yankVersion(h yankHandler, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req yankRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		for _, f := range []struct{ name, value string }{{"plugin", req.Plugin}, {"version", req.Version}, {"reason", req.Reason}} {
			if err := required(f.name, f.value); err != nil {
				return err
			}
		}
		res, err := h.Handle(c.Request().Context(), principal(c),
			app.YankRequest{Source: id, Plugin: req.Plugin, Version: req.Version, Reason: req.Reason})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, res)
	}
}
