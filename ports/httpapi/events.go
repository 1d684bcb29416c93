package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// mimeNDJSON asks GET /federation/events for an export: one event per line.
const mimeNDJSON = "application/x-ndjson"

// listEvents answers GET /federation/events: a page of JSON, or with
// "Accept: application/x-ndjson" every matching event (at most limit when
// limit is given) streamed one per line.
func listEvents(h app.ListEvents, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ndjson := wantsNDJSON(c)
		f, err := eventFilter(c)
		if err != nil {
			return err
		}
		limit, err := eventLimit(c, ndjson)
		if err != nil {
			return err
		}
		after := c.QueryParam("after")
		if !ndjson {
			page, err := h.Handle(c.Request().Context(), principal(c), f, after, limit)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, ViewEventPage(page))
		}
		return exportEvents(c, h, log, f, after, limit)
	}
}

func exportEvents(c echo.Context, h app.ListEvents, log *slog.Logger, f app.EventFilter, after string, limit int) error {
	res := c.Response()
	enc := json.NewEncoder(res)
	started := false
	start := func() {
		if !started {
			res.Header().Set(echo.HeaderContentType, mimeNDJSON)
			res.WriteHeader(http.StatusOK)
			started = true
		}
	}
	err := h.Export(c.Request().Context(), principal(c), f, after, limit, func(events []app.AuditEvent) error {
		start()
		for _, e := range events {
			if err := enc.Encode(ViewAuditEvent(e)); err != nil {
				return err
			}
		}
		res.Flush()
		return nil
	})
	if err != nil && !started {
		return err
	}
	if err != nil {
		// The status is sent; ending the body normally would make a cut-off
		// export look complete. Aborting the connection makes the client's
		// read fail instead.
		if log != nil {
			log.ErrorContext(c.Request().Context(), "event export cut short", "err", err,
				"request_id", res.Header().Get(echo.HeaderXRequestID))
		}
		panic(http.ErrAbortHandler)
	}
	start() // nothing matched: an empty, successful export
	return nil
}

func eventFilter(c echo.Context) (app.EventFilter, error) {
	f := app.EventFilter{Stream: c.QueryParam("stream"), Type: c.QueryParam("type"), Actor: c.QueryParam("actor")}
	if raw := c.QueryParam("source"); raw != "" {
		id, err := domain.ParseSourceID(raw)
		if err != nil {
			return f, domain.InField("source", fmt.Errorf("source: %w", err))
		}
		f.Source = id
	}
	var err error
	if f.From, err = queryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return f, err
	}
	return f, nil
}

// eventLimit is the page size; an export without one has no limit (0).
func eventLimit(c echo.Context, export bool) (int, error) {
	raw := c.QueryParam("limit")
	if raw == "" {
		if export {
			return 0, nil
		}
		return app.DefaultEventLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, domain.InField("limit", fmt.Errorf("limit: %q is not a whole number: %w", raw, domain.ErrInvalidInput))
	}
	if n < 1 {
		return 0, domain.InField("limit", fmt.Errorf("limit: %d is not between 1 and %d: %w", n, app.MaxEventLimit, domain.ErrInvalidInput))
	}
	return n, nil
}

// queryTime reads an RFC 3339 time; zero when the parameter is absent.
func queryTime(c echo.Context, name string) (time.Time, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return time.Time{}, nil
	}
	// An unescaped "+02:00" arrives as " 02:00"; RFC 3339 has no spaces.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(raw, " ", "+"))
	if err != nil {
		return time.Time{}, domain.InField(name, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2026-11-24T09:30:00Z: %w", name, raw, domain.ErrInvalidInput))
	}
	return t, nil
}

// sourceStatusAt answers GET /federation/source-status?sourceId=&at=: the
// source rebuilt from its events recorded up to at.
func sourceStatusAt(c echo.Context, h app.GetSourceStatusAt, id domain.SourceID) error {
	at, err := queryTime(c, "at")
	if err != nil {
		return err
	}
	view, err := h.Handle(c.Request().Context(), principal(c), id, at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ViewSourceStatusAt(view))
}
