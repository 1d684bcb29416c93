package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// Every validation error names the JSON field or query parameter that was
// wrong, beside the message, so a program need not parse the text; errors
// that are no one field's fault name none.
func TestValidationErrorsNameTheField(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	sources := postgres.SourceRepository{Store: store, Waiter: noWait{}, Pool: pool}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(pub)
	now := func() time.Time { return time.Now().UTC() }
	s, err := domain.RegisterSource("https://a.example", "alice", key, "k-admin", now())
	if err != nil {
		t.Fatal(err)
	}
	if err := sources.Save(pgtest.Context(), s); err != nil {
		t.Fatal(err)
	}
	e := httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), App: &httpapi.App{
		Authenticate:  keys{},
		AddSource:     app.AddSource{Sources: sources, Now: now},
		UpdateSource:  app.UpdateSource{Sources: sources, Now: now},
		SuspendSource: app.SuspendSource{Sources: sources, Now: now},
		ResumeSource:  app.ResumeSource{Sources: sources, Now: now},
		CreateKey:     app.CreateKey{Random: rand.Reader, Now: now},
		PublicCatalog: true,
	}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"add-source without instance_url", "POST", "/federation/add-source", `{"username":"bob","public_key":"` + key + `"}`, 400, "instance_url"},
		{"add-source without username", "POST", "/federation/add-source", `{"instance_url":"https://b.example","public_key":"` + key + `"}`, 400, "username"},
		{"add-source without public_key", "POST", "/federation/add-source", `{"instance_url":"https://b.example","username":"bob"}`, 400, "public_key"},
		{"add-source, instance_url not http", "POST", "/federation/add-source", `{"instance_url":"ftp://b.example","username":"bob","public_key":"` + key + `"}`, 400, "instance_url"},
		{"add-source, instance_url not a string", "POST", "/federation/add-source", `{"instance_url":5,"username":"bob","public_key":"` + key + `"}`, 400, "instance_url"},
		{"add-source, username with a space", "POST", "/federation/add-source", `{"instance_url":"https://b.example","username":"b ob","public_key":"` + key + `"}`, 400, "username"},
		{"add-source, public_key too short", "POST", "/federation/add-source", `{"instance_url":"https://b.example","username":"bob","public_key":"AAAA"}`, 400, "public_key"},
		{"add-source, allowed_asset_hosts with a path", "POST", "/federation/add-source", `{"instance_url":"https://b.example","username":"bob","public_key":"` + key + `","allowed_asset_hosts":["cdn.example/x"]}`, 400, "allowed_asset_hosts"},
		{"add-source, body not JSON", "POST", "/federation/add-source", `{"instance_url":`, 400, ""},
		{"add-source, body an array", "POST", "/federation/add-source", `[]`, 400, ""},
		// PostgreSQL refuses NUL in text and jsonb: these were 500s.
		{"create-admin-key, description with NUL", "POST", "/federation/create-admin-key", `{"description":"a\u0000b"}`, 400, "description"},
		{"revoke-key, id with NUL", "POST", "/federation/revoke-key", `{"id":"a\u0000b"}`, 400, "id"},
		{"subscribe, NUL in a filter's list", "POST", "/federation/subscribe", `{"sourceId":"alice@a.example","filters":{"tags":["x","a\u0000"]}}`, 400, "filters.tags[1]"},

		{"update-source without sourceId", "POST", "/federation/update-source", `{}`, 400, "sourceId"},
		{"update-source, sourceId without @", "POST", "/federation/update-source", `{"sourceId":"alice"}`, 400, "sourceId"},
		{"update-source, allowed_asset_hosts not hosts", "POST", "/federation/update-source", `{"sourceId":"alice@a.example","allowed_asset_hosts":["https://cdn.example"]}`, 400, "allowed_asset_hosts"},
		{"update-source, unknown source", "POST", "/federation/update-source", `{"sourceId":"bob@b.example"}`, 404, ""},
		{"suspend-source without sourceId", "POST", "/federation/suspend-source", `{"reason":"r"}`, 400, "sourceId"},
		{"suspend-source without reason", "POST", "/federation/suspend-source", `{"sourceId":"alice@a.example"}`, 400, "reason"},
		{"suspend-source, unknown source", "POST", "/federation/suspend-source", `{"sourceId":"bob@b.example","reason":"r"}`, 404, ""},
		{"resume-source, not suspended", "POST", "/federation/resume-source", `{"sourceId":"alice@a.example"}`, 409, ""},

		{"subscribe without sourceId", "POST", "/federation/subscribe", `{"filters":{}}`, 400, "sourceId"},
		{"subscribe, sourceId with an empty host before its last @", "POST", "/federation/subscribe", `{"sourceId":"a@@c"}`, 400, "sourceId"},
		{"subscribe, filters.tags not a list", "POST", "/federation/subscribe", `{"sourceId":"alice@a.example","filters":{"tags":"x"}}`, 400, "filters.tags"},
		{"subscribe, filters.slugs with an empty entry", "POST", "/federation/subscribe", `{"sourceId":"alice@a.example","filters":{"slugs":[" "]}}`, 400, "filters.slugs"},
		{"subscribe, filters with an unknown key", "POST", "/federation/subscribe", `{"sourceId":"alice@a.example","filters":{"colour":[]}}`, 400, "filters"},
		{"subscribe, filters not an object", "POST", "/federation/subscribe", `{"sourceId":"alice@a.example","filters":"x"}`, 400, "filters"},

		{"verify-source without sourceId", "POST", "/federation/verify-source", `{}`, 400, "sourceId"},
		{"verify-source, sourceId not a string", "POST", "/federation/verify-source", `{"sourceId":[1]}`, 400, "sourceId"},

		{"create-admin-key, unknown role", "POST", "/federation/create-admin-key", `{"role":"root"}`, 400, "role"},
		{"create-admin-key, description too long", "POST", "/federation/create-admin-key", `{"description":"` + strings.Repeat("d", 501) + `"}`, 400, "description"},
		{"revoke-key without key", "POST", "/federation/revoke-key", `{}`, 400, "key"},

		{"source-status without sourceId", "GET", "/federation/source-status", "", 400, "sourceId"},
		{"plugins, limit zero", "GET", "/federation/plugins?limit=0", "", 400, "limit"},
		{"plugins, cursor negative", "GET", "/federation/plugins?cursor=-1", "", 400, "cursor"},
		{"plugins, q with NUL", "GET", "/federation/plugins?q=a%00", "", 400, "q"},
		{"activity, limit not a number", "GET", "/federation/activity?limit=ten", "", 400, "limit"},
		{"activity, cursor not one given out", "GET", "/federation/activity?cursor=x", "", 400, "cursor"},
		{"download without plugin", "GET", "/federation/download?source=alice@a.example", "", 400, "plugin"},
		{"download, source malformed", "GET", "/federation/download?source=alice&plugin=p", "", 400, "source"},
		{"verify, plugin slug malformed", "GET", "/federation/verify?source=alice@a.example&plugin=..", "", 400, "plugin"},
	}
	t.Run("a chunked body over the limit", func(t *testing.T) {
		// Without a Content-Length echo's body limit ends the read itself.
		body := io.MultiReader(strings.NewReader(`{"description":"`), strings.NewReader(strings.Repeat("d", 70<<10)), strings.NewReader(`"}`))
		req, err := http.NewRequest("POST", srv.URL+"/federation/create-admin-key", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer admin-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer admin-key")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			decodeErr := json.NewDecoder(resp.Body).Decode(&body)
			msg, _ := body["error"].(string)
			field, hasField := body["field"].(string)
			if resp.StatusCode != tt.status || decodeErr != nil || msg == "" || field != tt.field || hasField != (tt.field != "") {
				t.Fatalf("%s %s = %d %v (%v), want %d with field %q", tt.method, tt.path, resp.StatusCode, body, decodeErr, tt.status, tt.field)
			}
		})
	}
}

// A route nobody serves and a method a route does not take answer the
// node's own JSON, whatever echo's text: 404 naming what was asked, 405
// naming the methods allowed.
func TestUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	e := httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/nope", 404, "no such endpoint: GET /nope"},
		{"GET", "/federation/nope", 404, "no such endpoint: GET /federation/nope"},
		{"POST", "/federation/openapi.yaml?x=1", 404, "no such endpoint: POST /federation/openapi.yaml"},
		{"DELETE", "/federation", 404, "no such endpoint: DELETE /federation"},
		{"GET", "/ui/nothing.js", 404, "no such endpoint: GET /ui/nothing.js"},
		{"GET", "/federation/add-source", 405, "GET /federation/add-source: method not allowed (allowed: OPTIONS, POST)"},
		{"POST", "/federation/sources", 405, "POST /federation/sources: method not allowed (allowed: OPTIONS, GET)"},
		{"PUT", "/healthz", 405, "PUT /healthz: method not allowed (allowed: OPTIONS, GET)"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		decodeErr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || decodeErr != nil || body["error"] != tt.want || len(body) != 1 ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s = %d %s %v (%v), want %d {\"error\": %q}", tt.method, tt.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, decodeErr, tt.status, tt.want)
		}
	}
}
