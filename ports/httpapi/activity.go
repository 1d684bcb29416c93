package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// listActivity is GET /federation/activity?limit=&cursor=&offset=&source=.
// In the original's shapes it answers a bare array of the original's
// entries (version updates and verifications), which its admin page maps
// over; PFN's envelope carries the same fields beside its own.
func listActivity(h app.ListActivity, resolve app.SourceResolver, compat Compat) echo.HandlerFunc {
	return func(c echo.Context) error {
		source := c.QueryParam("source")
		if source != "" {
			id, err := resolveSourceID(c, resolve, "source", source)
			if err != nil {
				return err
			}
			source = string(id)
		}
		page, err := h.Handle(c.Request().Context(), principal(c), app.ActivityParams{
			Source: source, Limit: c.QueryParam("limit"),
			Cursor: c.QueryParam("cursor"), Offset: c.QueryParam("offset"),
			OriginalOnly: compat.original(),
		})
		if err != nil {
			return err
		}
		if !compat.original() {
			return c.JSON(http.StatusOK, viewActivityPage(page))
		}
		out := make([]originalActivityView, len(page.Entries))
		for i, e := range page.Entries {
			out[i] = viewOriginalActivity(e.OriginalActivity)
		}
		return c.JSON(http.StatusOK, out)
	}
}
