package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// peerInfo answers GET /federation/peer-info?url=: the admin page's look-up
// of a node before it is added as an upstream.
func peerInfo(h app.GetPeerInfo) echo.HandlerFunc {
	return func(c echo.Context) error {
		info, err := h.Handle(c.Request().Context(), principal(c), c.QueryParam("url"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, viewPeerInfo(info))
	}
}
