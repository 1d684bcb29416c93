package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// listActivity is GET /federation/activity?limit=&cursor=&source=.
func listActivity(h app.ListActivity) echo.HandlerFunc {
	return func(c echo.Context) error {
		page, err := h.Handle(c.Request().Context(), principal(c), c.QueryParam("source"), c.QueryParam("limit"), c.QueryParam("cursor"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	}
}
