package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// rolesKeys knows a key of each kind.
type rolesKeys struct{}

func (rolesKeys) Handle(_ context.Context, presented string) (app.Principal, error) {
	switch presented {
	case "master":
		return app.Principal{KeyID: "master", Role: domain.RoleAdmin, Master: true}, nil
	case "admin":
		return app.Principal{KeyID: "k-admin", Role: domain.RoleAdmin}, nil
	case "consumer":
		return app.Principal{KeyID: "k-consumer", Role: domain.RoleConsumer}, nil
	}
	return app.Principal{}, domain.ErrUnauthenticated
}

// The use cases decide who may run them (app/principal.go), and the API
// asks them before it reads the request: a consumer key on an admin route
// is 403, whatever it sent, and an admin's malformed request reaches the
// handler (400). The use cases here have no ports: any request that got
// past authorization and binding would fail otherwise.
func TestAdminRoutesAskTheUseCaseFirst(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App: &httpapi.App{Authenticate: rolesKeys{}},
	}))
	t.Cleanup(srv.Close)
	forbidden := domain.ErrForbidden.Error()
	tests := []struct {
		method, path, body, key string
		status                  int
	}{
		{http.MethodPost, "/federation/create-admin-key", `{"role": 7}`, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/revoke-key", `not json`, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/revoke-key", `{"key": "k-admin"}`, "master", http.StatusForbidden},
		{http.MethodPost, "/federation/add-source", `{}`, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/verify-source", `{"sourceId": "nobody@nowhere.example"}`, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/update-source", ``, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/suspend-source", ``, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/resume-source", ``, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/sync-source", `[]`, "consumer", http.StatusForbidden},
		{http.MethodGet, "/federation/sources", ``, "consumer", http.StatusForbidden},
		{http.MethodGet, "/federation/source-status?sourceId=nobody@nowhere.example", ``, "consumer", http.StatusForbidden},
		{http.MethodGet, "/federation/source-status?sourceId=x&at=tuesday", ``, "consumer", http.StatusForbidden},
		{http.MethodGet, "/federation/events?limit=0", ``, "consumer", http.StatusForbidden},
		{http.MethodGet, "/federation/activity?limit=0", ``, "consumer", http.StatusForbidden},
		{http.MethodPost, "/federation/sync-source", `[]`, "admin", http.StatusBadRequest},
		{http.MethodPost, "/federation/revoke-key", `not json`, "admin", http.StatusBadRequest},
		{http.MethodGet, "/federation/activity?limit=0", ``, "admin", http.StatusBadRequest},
		{http.MethodGet, "/federation/sources", ``, "", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.key+" "+tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.key != "" {
				req.Header.Set("Authorization", "Bearer "+tc.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Error, Field string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body.Error, tc.status)
			}
			if tc.status == http.StatusForbidden && (body.Error != forbidden || body.Field != "") {
				t.Errorf("error %q field %q, want %q alone", body.Error, body.Field, forbidden)
			}
		})
	}
}
