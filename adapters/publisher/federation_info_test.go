package publisher_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

func TestFederationInfo(t *testing.T) {
	t.Parallel()
	want := publisher.Info{
		Version:      "1.0.0",
		Features:     []string{"plugin-distribution", "signature-verification"},
		AssetDomain:  "https://assets.example.com",
		NamingScheme: "plugins/author/slug/slug.zip",
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    publisher.Info
		wantErr error  // nil: success
		wantMsg string // part of the error message
	}{
		{name: "json", handler: reply(200, "application/json", federationInfoJSON), want: want},
		{name: "json with charset", handler: reply(200, "application/json; charset=utf-8", federationInfoJSON), want: want},
		{name: "problem+json style type", handler: reply(200, "application/vnd.pub+json", federationInfoJSON), want: want},
		// Static hosting serves .json as text/plain or nothing; the body must
		// still be a JSON object.
		{name: "JSON as text/plain", handler: reply(200, "text/plain; charset=utf-8", federationInfoJSON), want: want},
		{name: "JSON without content type", handler: reply(200, "", federationInfoJSON), want: want},
		{name: "201 is 2xx", handler: reply(201, "application/json", federationInfoJSON), want: want},
		{
			name:    "unknown fields and no features",
			handler: reply(200, "application/json", `{"assetInfo":{"domain":"d","namingScheme":"n","cdn":true},"extra":[1,2]}`),
			want:    publisher.Info{AssetDomain: "d", NamingScheme: "n"},
		},
		{name: "503", handler: reply(503, "text/plain", "down for maintenance"), wantErr: publisher.ErrIncompatible, wantMsg: `status 503: body "down for maintenance"`},
		{name: "404 JSON", handler: reply(404, "application/json", `{"error":"no"}`), wantErr: publisher.ErrIncompatible, wantMsg: "status 404"},
		{name: "HTML page", handler: reply(200, "text/html; charset=utf-8", "<!doctype html><p>parked domain"), wantErr: publisher.ErrIncompatible, wantMsg: `content type "text/html; charset=utf-8", want JSON`},
		{name: "HTML as text/plain", handler: reply(200, "text/plain", "<html>hi</html>"), wantErr: publisher.ErrIncompatible, wantMsg: "body is not JSON"},
		{name: "empty body", handler: reply(200, "application/json", ""), wantErr: publisher.ErrIncompatible, wantMsg: "body is empty"},
		{name: "array body", handler: reply(200, "application/json", `[1]`), wantErr: publisher.ErrIncompatible, wantMsg: "body is an array, want a JSON object"},
		{name: "trailing garbage", handler: reply(200, "application/json", federationInfoJSON+"x"), wantErr: publisher.ErrIncompatible, wantMsg: "body is not JSON"},
		{name: "no assetInfo", handler: reply(200, "application/json", `{"version":"1"}`), wantErr: publisher.ErrIncompatible, wantMsg: `no "assetInfo"`},
		{name: "null assetInfo", handler: reply(200, "application/json", `{"assetInfo":null}`), wantErr: publisher.ErrIncompatible, wantMsg: `no "assetInfo"`},
		{name: "assetInfo not an object", handler: reply(200, "application/json", `{"assetInfo":"x"}`), wantErr: publisher.ErrIncompatible, wantMsg: `"assetInfo" is a string, want an object`},
		{name: "empty domain", handler: reply(200, "application/json", `{"assetInfo":{"domain":"","namingScheme":"n"}}`), wantErr: publisher.ErrIncompatible, wantMsg: `"assetInfo" has no "domain"`},
		{name: "no namingScheme", handler: reply(200, "application/json", `{"assetInfo":{"domain":"d"}}`), wantErr: publisher.ErrIncompatible, wantMsg: `"assetInfo" has no "namingScheme"`},
		{name: "domain a number", handler: reply(200, "application/json", `{"assetInfo":{"domain":1,"namingScheme":"n"}}`), wantErr: publisher.ErrIncompatible, wantMsg: `in "assetInfo": "domain" is a number, want a string`},
		{name: "features not strings", handler: reply(200, "application/json", `{"features":["a",2],"assetInfo":{"domain":"d","namingScheme":"n"}}`), wantErr: publisher.ErrIncompatible, wantMsg: `"features[1]" is a number, want a string`},
		{name: "version a number", handler: reply(200, "application/json", `{"version":1,"assetInfo":{"domain":"d","namingScheme":"n"}}`), wantErr: publisher.ErrIncompatible, wantMsg: `"version" is a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := serve(t, tt.handler)
			got, err := lenient(publisher.Config{}).FederationInfo(t.Context(), srv.URL)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("FederationInfo: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("FederationInfo = %+v, want %+v", got, tt.want)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("FederationInfo error = %v, want %v", err, tt.wantErr)
				}
				checkMessage(t, err, "GET "+srv.URL+"/federation-info: ")
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not say %q", err, tt.wantMsg)
				}
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodGet || r.Path != "/federation-info" || r.UserAgent != "pfn-node" || r.Accept != "application/json" {
				t.Errorf("request = %+v, want GET /federation-info by pfn-node accepting JSON", r)
			}
		})
	}
}

// An error page must not end up whole in a log line.
func TestLongErrorBodyIsCut(t *testing.T) {
	t.Parallel()
	page := "<html>\n" + strings.Repeat("line of an error page\r\n", 500)
	srv, _ := serve(t, reply(500, "text/html", page))
	_, err := lenient(publisher.Config{}).FederationInfo(t.Context(), srv.URL)
	if !errors.Is(err, publisher.ErrIncompatible) {
		t.Fatalf("error = %v, want ErrIncompatible", err)
	}
	checkMessage(t, err, "GET "+srv.URL+"/federation-info: status 500: ")
	if len(err.Error()) > 350 {
		t.Errorf("message is %d bytes: %q", len(err.Error()), err)
	}
	if !strings.Contains(err.Error(), `…`) {
		t.Errorf("message %q does not mark the cut", err)
	}
}
