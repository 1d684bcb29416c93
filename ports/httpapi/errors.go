package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// errorBody is the JSON every failed request answers with. Field names
// the request field or query parameter that was wrong, when one was;
// Candidates are the sources an ambiguous port-less id could mean.
type errorBody struct {
	Error      string            `json:"error"`
	Field      string            `json:"field,omitempty"`
	Candidates []domain.SourceID `json:"candidates,omitempty"`
}

// statusOf maps an error to its HTTP status: the one place that does so.
func statusOf(err error) int {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, errDeadline), errors.Is(err, context.DeadlineExceeded), errors.Is(err, app.ErrSyncContinues),
		errors.Is(err, app.ErrFeedClosed), errors.Is(err, errFeedBusy):
		return http.StatusServiceUnavailable
	case errors.Is(err, domain.ErrInvalidInput):
		return http.StatusBadRequest
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, domain.ErrGone):
		return http.StatusGone
	case errors.Is(err, domain.ErrWithheld):
		return http.StatusUnavailableForLegalReasons
	case errors.Is(err, domain.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, domain.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, domain.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, domain.ErrPublisher):
		return http.StatusBadGateway
	case storeUnavailable(err): // last: a publisher's cut connection is a 502 above
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// storeUnavailable reports an error of a store the node could not reach
// (the database restarting, a connection cut): the request was fine and
// may be tried again, so it is a 503, not a 500. It looks at what the
// error is rather than where it came from, so that no adapter has to wrap
// each of its calls: a connection cut mid-answer, a refused or failed
// dial, or a PostgreSQL SQLSTATE of class 08 (connection exception) or 57
// (operator intervention: shutting down, not yet accepting connections).
func storeUnavailable(err error) bool {
	var op *net.OpError
	var state interface{ SQLState() string }
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &op):
		return true
	case errors.As(err, &state):
		class := state.SQLState()[:min(2, len(state.SQLState()))]
		return class == "08" || class == "57"
	}
	return false
}

// errorHandler answers every error as JSON. Client errors say what was wrong;
// server errors are logged here (once) and answered without internals.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := statusOf(err)
		msg := err.Error()
		var he *echo.HTTPError
		if errors.As(err, &he) {
			if m, ok := he.Message.(string); ok {
				msg = m
			}
		}
		// The router's own refusals say what was asked, in our words
		// rather than echo's, so that clients can rely on them.
		switch {
		case errors.Is(err, echo.ErrNotFound):
			msg = noRoute + ": " + requestLine(c)
		case errors.Is(err, echo.ErrMethodNotAllowed):
			msg = requestLine(c) + ": method not allowed"
			if allow := c.Response().Header().Get(echo.HeaderAllow); allow != "" {
				msg += " (allowed: " + allow + ")"
			}
		}
		var field string
		if fe := (*domain.FieldError)(nil); status < 500 && errors.As(err, &fe) {
			field = fe.Field
		}
		if status >= 500 && !errors.Is(err, errFeedBusy) { // a full feed is load, not a failure
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Path(), "err", err)
		}
		if status >= 500 {
			msg = http.StatusText(status)
			if errors.Is(err, errFeedBusy) {
				msg = errFeedBusy.Error()
			}
			if cause := context.Cause(c.Request().Context()); errors.Is(err, errDeadline) && errors.Is(cause, errDeadline) {
				msg = cause.Error() + "; try again later"
			}
			if errors.Is(err, app.ErrSyncContinues) {
				msg = app.ErrSyncContinues.Error()
			}
			// What a publisher or peer node answered is for an admin to act
			// on (the URL they typed, its status, a missing key): it names
			// no internals of this node, and the client never puts a
			// password in it.
			if status == http.StatusBadGateway && errors.Is(err, domain.ErrPublisher) && principal(c).IsAdmin() {
				msg = err.Error()
			}
		}
		var werr error
		if c.Request().Method == http.MethodHead {
			werr = c.NoContent(status)
		} else {
			body := errorBody{Error: msg, Field: field}
			var amb *app.AmbiguousSourceError
			if errors.As(err, &amb) {
				body.Candidates = amb.Candidates
			}
			werr = c.JSON(status, body)
		}
		if werr != nil {
			log.Warn("write error response", "err", werr)
		}
	}
}

// noRoute starts the answer to a path no route serves; the admin page tells
// "this node has no such endpoint" from "no such thing" by it.
const noRoute = "no such endpoint"

// requestLine is the method and path asked for, cut short for the answer.
func requestLine(c echo.Context) string {
	return c.Request().Method + " " + quoteParam(c.Request().URL.Path)
}
