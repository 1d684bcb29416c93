package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
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
		return c.JSON(http.StatusOK, viewYankResult(res))
	}
}

// yankResultView answers /federation/yank and /unyank (camelCase sourceId,
// as the request's).
type yankResultView struct {
	Source   domain.SourceID `json:"sourceId"`
	Plugin   string          `json:"plugin"`
	Version  string          `json:"version"`
	Yanked   bool            `json:"yanked"`
	Reason   string          `json:"reason,omitempty"`
	Recorded bool            `json:"recorded"`
}

func viewYankResult(r app.YankResult) yankResultView {
	return yankResultView{Source: r.Source, Plugin: r.Plugin, Version: r.Version, Yanked: r.Yanked, Reason: r.Reason, Recorded: r.Recorded}
}
