package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/domain"
)

// calls runs each of the three calls against instanceURL; every test that
// is about requests in general covers all of them.
var calls = []struct {
	endpoint string
	do       func(ctx context.Context, c *publisher.Client, instanceURL string) error
}{
	{"federation-info", func(ctx context.Context, c *publisher.Client, u string) error {
		_, err := c.FederationInfo(ctx, u)
		return err
	}},
	{"verify-ownership", func(ctx context.Context, c *publisher.Client, u string) error {
		_, err := c.ProveOwnership(ctx, u, "plugin-author", "challenge")
		return err
	}},
	{"author-data", func(ctx context.Context, c *publisher.Client, u string) error {
		_, err := c.AuthorData(ctx, u, "plugin-author")
		return err
	}},
}

// answerAll serves a valid answer for each endpoint wherever it is mounted.
func answerAll(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/federation-info"):
		fmt.Fprint(w, federationInfoJSON)
	case strings.HasSuffix(r.URL.Path, "/verify-ownership"):
		fmt.Fprint(w, `{"signature":"c2ln"}`)
	case strings.HasSuffix(r.URL.Path, "/author-data"):
		fmt.Fprint(w, authorDataJSON)
	default:
		http.NotFound(w, r)
	}
}

func TestInstanceURLPrefixAndTrailingSlash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix   string // appended to the server's URL
		wantPath string // escaped path before the endpoint
	}{
		{"", "/"},
		{"/", "/"},
		{"/pub", "/pub/"},
		{"/pub/", "/pub/"},
		{"/pub//", "/pub/"},
		{"/a/b/", "/a/b/"},
		{"/a%2Fb/", "/a%2Fb/"},
	}
	for _, tt := range tests {
		for _, call := range calls {
			t.Run(call.endpoint+" "+tt.suffix, func(t *testing.T) {
				t.Parallel()
				srv, rec := serve(t, answerAll)
				if err := call.do(t.Context(), lenient(publisher.Config{}), srv.URL+tt.suffix); err != nil {
					t.Fatal(err)
				}
				reqs := rec.requests()
				if len(reqs) != 1 || reqs[0].RawPath != tt.wantPath+call.endpoint {
					t.Fatalf("server saw %+v, want one request for %s", reqs, tt.wantPath+call.endpoint)
				}
			})
		}
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	srv, rec := serve(t, answerAll)
	bad := []string{
		"",
		"pub.example",
		"ftp://pub.example",
		"javascript:alert(1)",
		"http://",
		"https://:443",
		"http:pub.example",
		"http://user:hunter2@pub.example",
		"http://pub.example/?x=1",
		"http://pub.example/?",
		"http://pub.example/#top",
		"http://pub.example/a/../b",
		"http://pub.example/a/%2e%2e/b",
		"http://pub.example/" + strings.Repeat("a", 3000),
		"http://pub.example/\xff",
		"http://[::1",
	}
	c := lenient(publisher.Config{})
	for _, u := range bad {
		for _, call := range calls {
			t.Run(call.endpoint+" "+shortName(u), func(t *testing.T) {
				t.Parallel()
				err := call.do(t.Context(), c, u)
				if !errors.Is(err, domain.ErrInvalidInput) {
					t.Fatalf("error = %v, want ErrInvalidInput", err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows the password", err)
				}
				checkMessage(t, err, "")
				if !strings.Contains(err.Error(), "/"+call.endpoint) {
					t.Errorf("error %q does not name the endpoint", err)
				}
			})
		}
	}
	t.Run("empty arguments", func(t *testing.T) {
		t.Parallel()
		checks := []error{}
		_, err := c.AuthorData(t.Context(), srv.URL, "")
		checks = append(checks, err)
		_, err = c.ProveOwnership(t.Context(), srv.URL, "", "challenge")
		checks = append(checks, err)
		_, err = c.ProveOwnership(t.Context(), srv.URL, "plugin-author", "")
		checks = append(checks, err)
		_, err = c.ProveOwnership(t.Context(), srv.URL, "plugin-author", "bad \xff utf-8")
		checks = append(checks, err)
		for i, err := range checks {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("check %d: error = %v, want ErrInvalidInput", i, err)
			}
		}
		if n := len(rec.requests()); n != 0 {
			t.Errorf("server saw %d requests, want none", n)
		}
	})
}

func shortName(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
