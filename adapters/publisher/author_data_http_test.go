package publisher_test

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

const authorDataJSON = `{
  "username": "plugin-author",
  "member_since": "2024-01-01",
  "website": "https://example.com",
  "github": "github-username",
  "twitter": "twitter-handle",
  "karma": 12,
  "plugins": [
    {
      "slug": "plugin-id",
      "name": "Plugin Name",
      "version": "1.0.0",
      "short_description": "Plugin description",
      "tags": {"category2": "productivity", "category1": "utilities"},
      "icons": {"1x": "icon-url.png", "2x": "icon-url@2x.png"},
      "rating": 4.5,
      "active_installs": 1000,
      "signature": "c2lnMQ==",
      "sha256": "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
    },
    {
      "slug": "no-sig",
      "name": "Unsigned",
      "version": "0.1.0"
    },
    {
      "slug": "array-tags",
      "name": "Array Tags",
      "version": "2.0.0",
      "tags": ["seo", "forms"],
      "signature": "c2lnMw=="
    }
  ]
}`

func TestAuthorData(t *testing.T) {
	t.Parallel()
	srv, rec := serve(t, reply(200, "application/json", authorDataJSON))
	author := "Jane Doe&x=1/ü"
	got, err := lenient(publisher.Config{}).AuthorData(t.Context(), srv.URL, author)
	if err != nil {
		t.Fatalf("AuthorData: %v", err)
	}
	want := publisher.Author{
		Username: "plugin-author", MemberSince: "2024-01-01", Website: "https://example.com",
		GitHub: "github-username", Twitter: "twitter-handle",
		Plugins: []publisher.Plugin{
			{
				Slug: "plugin-id", Name: "Plugin Name", Version: "1.0.0", ShortDescription: "Plugin description",
				Tags:   []string{"utilities", "productivity"}, // by key: category1, category2
				Icons:  map[string]string{"1x": "icon-url.png", "2x": "icon-url@2x.png"},
				Rating: 4.5, ActiveInstalls: 1000, Signature: "c2lnMQ==",
				SHA256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
			},
			{Slug: "no-sig", Name: "Unsigned", Version: "0.1.0", Invalid: `missing "signature"`},
			{Slug: "array-tags", Name: "Array Tags", Version: "2.0.0", Tags: []string{"seo", "forms"}, Signature: "c2lnMw=="},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AuthorData =\n%+v\nwant\n%+v", got, want)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	q, err := url.ParseQuery(reqs[0].Query)
	if err != nil || len(q) != 1 || q.Get("author") != author {
		t.Errorf("query %q decodes to %v, want only author=%q", reqs[0].Query, q, author)
	}
	if reqs[0].Method != http.MethodGet || reqs[0].Path != "/author-data" {
		t.Errorf("request = %+v, want GET /author-data", reqs[0])
	}
}

func TestAuthorDataIncompatible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantMsg string
	}{
		{name: "plugins an object", body: `{"plugins":{"a":1}}`, wantMsg: `"plugins" is an object, want an array`},
		{name: "username a number", body: `{"username":7,"plugins":[]}`, wantMsg: `"username" is a number, want a string`},
		{name: "string body", body: `"plugin-author"`, wantMsg: "body is a string, want a JSON object"},
		{name: "truncated", body: authorDataJSON[:200], wantMsg: "body is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := serve(t, reply(200, "application/json", tt.body))
			_, err := lenient(publisher.Config{}).AuthorData(t.Context(), srv.URL, "plugin-author")
			if !errors.Is(err, publisher.ErrIncompatible) {
				t.Fatalf("AuthorData error = %v, want ErrIncompatible", err)
			}
			checkMessage(t, err, "GET "+srv.URL+"/author-data?author=plugin-author: ")
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}
