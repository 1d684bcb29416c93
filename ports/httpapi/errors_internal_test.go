package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("source: %w", domain.ErrInvalidInput), http.StatusBadRequest},
		{fmt.Errorf("source x: %w", domain.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("wrapped twice: %w", fmt.Errorf("stream: %w", domain.ErrConflict)), http.StatusConflict},
		{echo.NewHTTPError(http.StatusUnauthorized, "missing key"), http.StatusUnauthorized},
		{errors.New("disk on fire"), http.StatusInternalServerError},
		// The database going away is a 503 (try again), however it shows.
		{fmt.Errorf("look up API key: look up key: %w", io.ErrUnexpectedEOF), http.StatusServiceUnavailable},
		{fmt.Errorf("claim: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), http.StatusServiceUnavailable},
		{fmt.Errorf("connect: %w", sqlStateError("57P03")), http.StatusServiceUnavailable},
		{fmt.Errorf("query: %w", sqlStateError("08006")), http.StatusServiceUnavailable},
		{fmt.Errorf("insert: %w", sqlStateError("23505")), http.StatusInternalServerError},
		// A publisher's cut connection stays the publisher's fault.
		{fmt.Errorf("%w: fetch listing: %w", domain.ErrPublisher, io.ErrUnexpectedEOF), http.StatusBadGateway},
		{fmt.Errorf("%w: %w", domain.ErrInvalidInput, io.ErrUnexpectedEOF), http.StatusBadRequest},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// sqlStateError is an error with a SQLSTATE, as pgconn.PgError has.
type sqlStateError string

func (e sqlStateError) Error() string    { return "ERROR (SQLSTATE " + string(e) + ")" }
func (e sqlStateError) SQLState() string { return string(e) }

func TestErrorBodies(t *testing.T) {
	var logged bytes.Buffer
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewTextHandler(&logged, nil)))
	e.GET("/bad", func(echo.Context) error {
		return fmt.Errorf("instance_url %q has no host: %w", "https://", domain.ErrInvalidInput)
	})
	e.GET("/boom", func(echo.Context) error { return errors.New("pq: relation secret_table does not exist") })
	e.GET("/field", func(echo.Context) error {
		return fmt.Errorf("add: %w", domain.InField("username", fmt.Errorf("username is empty: %w", domain.ErrInvalidInput)))
	})
	e.GET("/field-of-a-failure", func(echo.Context) error {
		return &domain.FieldError{Field: "username", Err: errors.New("pq: relation secret_table does not exist")}
	})

	// A publisher's or peer node's failure is told to an admin, who can act
	// on it; anyone else gets the status line.
	peerFailed := func(as app.Principal) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(principalKey, as)
			return fmt.Errorf("GET http://peer/federation-info: status 404: %w", domain.ErrPublisher)
		}
	}
	e.GET("/peer-admin", peerFailed(app.Principal{KeyID: "k", Role: domain.RoleAdmin}))
	e.GET("/peer-consumer", peerFailed(app.Principal{KeyID: "k", Role: domain.RoleConsumer}))

	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/peer-admin", 502, `{"error":"GET http://peer/federation-info: status 404: publisher failed"}`},
		{"/peer-consumer", 502, `{"error":"Bad Gateway"}`},
		{"/bad", 400, `{"error":"instance_url \"https://\" has no host: invalid input"}`},
		{"/boom", 500, `{"error":"Internal Server Error"}`},
		{"/field", 400, `{"error":"add: username is empty: invalid input","field":"username"}`},
		{"/field-of-a-failure", 500, `{"error":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.wantStatus || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
			t.Errorf("GET %s = %d %s, want %d %s", tt.path, rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
		}
	}
	if !strings.Contains(logged.String(), "secret_table") {
		t.Errorf("the server error was not logged: %q", logged.String())
	}
}
