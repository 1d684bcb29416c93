package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

type oneSource struct{ app.SourceReader }

func (oneSource) ListSources(context.Context) ([]app.SourceView, error) {
	return []app.SourceView{{ID: "u@h.example", LastVerificationResult: "success", SuccessfulVerifications: 2}}, nil
}

type anyKeys struct{ app.KeyStore }

func (anyKeys) Issue(context.Context, domain.APIKeyIssued) error { return nil }

// The shapes that clash follow the node's Compat; the rest does not.
func TestCompatShapes(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 12, 1, 16, 27, 20, 0, time.UTC)
	keys := app.CreateKey{Keys: anyKeys{}, Random: rand.Reader, Now: func() time.Time { return created }}
	for _, tc := range []struct {
		compat      Compat
		sources     string // the answer's JSON, up to the row's contents
		createdJSON string
	}{
		{CompatPFN, `{"sources":[{"id":"u@h.example",`, `"created":"2026-12-01T16:27:20Z"`},
		{CompatOriginal, `[{"id":"u@h.example",`, `"created":1796142440000`},
	} {
		t.Run(string(tc.compat), func(t *testing.T) {
			t.Parallel()
			body := serveAsAdmin(t, http.MethodGet, "", listSources(app.ListSources{Sources: oneSource{}}, tc.compat))
			if !strings.HasPrefix(body, tc.sources) || !strings.Contains(body, `"last_verification_result":"success"`) ||
				!strings.Contains(body, `"successful_verifications":2`) {
				t.Fatalf("sources = %s, want it to start %s and carry the verification fields", body, tc.sources)
			}
			body = serveAsAdmin(t, http.MethodPost, `{"description":"d"}`, createKey(keys, tc.compat))
			var key map[string]any
			if err := json.Unmarshal([]byte(body), &key); err != nil || !strings.Contains(body, tc.createdJSON) ||
				key["description"] != "d" || key["key"] == "" {
				t.Fatalf("create-admin-key = %s, want %s", body, tc.createdJSON)
			}
		})
	}
}

func serveAsAdmin(t *testing.T, method, body string, h echo.HandlerFunc) string {
	t.Helper()
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	c.Set(principalKey, app.Principal{KeyID: "k", Role: domain.RoleAdmin})
	if err := h(c); err != nil {
		t.Fatal(err)
	}
	return rec.Body.String()
}

// A port-less id naming several sources answers 409 with the candidates.
func TestAmbiguousSourceAnswersTheCandidates(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(nil)
	e.GET("/", func(echo.Context) error {
		return &app.AmbiguousSourceError{Given: "u@h", Candidates: []domain.SourceID{"u@h:1", "u@h:2"}}
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	var body struct {
		Error      string   `json:"error"`
		Candidates []string `json:"candidates"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusConflict ||
		len(body.Candidates) != 2 || body.Candidates[1] != "u@h:2" || !strings.Contains(body.Error, "u@h:1, u@h:2") {
		t.Fatalf("ambiguous id = %d %s", rec.Code, rec.Body)
	}
}
