package publisher_test

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

func TestProveOwnership(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		wantErr error
		wantMsg string
	}{
		{name: "signature", handler: reply(200, "application/json", `{"signature":"c2lnbmF0dXJl"}`), want: "c2lnbmF0dXJl"},
		{name: "extra fields", handler: reply(200, "application/json", `{"signature":"c2ln","algo":"ed25519"}`), want: "c2ln"},
		{name: "no signature", handler: reply(200, "application/json", `{}`), wantErr: publisher.ErrIncompatible, wantMsg: `missing "signature"`},
		{name: "empty signature", handler: reply(200, "application/json", `{"signature":""}`), wantErr: publisher.ErrIncompatible, wantMsg: `missing "signature"`},
		{name: "signature not a string", handler: reply(200, "application/json", `{"signature":["x"]}`), wantErr: publisher.ErrIncompatible, wantMsg: `"signature" is an array, want a string`},
		{name: "unknown user", handler: reply(404, "application/json", `{"error":"unknown user"}`), wantErr: publisher.ErrIncompatible, wantMsg: `status 404: body "{\"error\":\"unknown user\"}"`},
		{name: "not JSON", handler: reply(200, "text/plain", "signed!"), wantErr: publisher.ErrIncompatible, wantMsg: "body is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := serve(t, tt.handler)
			got, err := lenient(publisher.Config{}).ProveOwnership(t.Context(), srv.URL, "plugin-author", "chal<lenge>&")
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("ProveOwnership = %q, %v; want %q", got, err, tt.want)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ProveOwnership error = %v, want %v", err, tt.wantErr)
				}
				checkMessage(t, err, "POST "+srv.URL+"/verify-ownership: ")
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not say %q", err, tt.wantMsg)
				}
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/verify-ownership" || r.ContentType != "application/json" || r.UserAgent != "pfn-node" {
				t.Errorf("request = %+v, want a JSON POST to /verify-ownership by pfn-node", r)
			}
			var body map[string]string
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
				t.Fatalf("request body %q: %v", r.Body, err)
			}
			if want := map[string]string{"username": "plugin-author", "challenge": "chal<lenge>&"}; !maps.Equal(body, want) {
				t.Errorf("request body = %v, want %v", body, want)
			}
		})
	}
}
