package publisher

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseChangePage(t *testing.T) {
	cases := []struct {
		name, body string
		after      int64
		want       ChangePage
		bad        string // part of the error, "" when it parses
	}{
		{"empty page", `{"changes":[],"next":"7","more":false}`, 7, ChangePage{Next: 7}, ""},
		{"changes", `{"changes":[{"cursor":"8","kind":"version.yanked"},{"cursor":"11"}],"next":"11","more":true}`, 7,
			ChangePage{Changes: 2, Next: 11, More: true}, ""},
		{"no more member", `{"changes":[{"cursor":"1"}],"next":"1"}`, 0, ChangePage{Changes: 1, Next: 1}, ""},
		{"no changes member", `{"next":"7"}`, 7, ChangePage{}, `no "changes"`},
		{"a cursor not after the last", `{"changes":[{"cursor":"9"},{"cursor":"9"}],"next":"9"}`, 7, ChangePage{}, "not after 9"},
		{"a cursor before the one asked", `{"changes":[{"cursor":"3"}],"next":"3"}`, 7, ChangePage{}, "not after 7"},
		{"next behind", `{"changes":[],"next":"2"}`, 7, ChangePage{}, `"next" is 2`},
		{"next ahead of the changes", `{"changes":[{"cursor":"8"}],"next":"99"}`, 7, ChangePage{}, `"next" is 99`},
		{"numeric cursor", `{"changes":[{"cursor":8}],"next":"8"}`, 7, ChangePage{}, "changes[0]"},
		{"negative next", `{"changes":[],"next":"-1"}`, 0, ChangePage{}, "not a cursor"},
		{"more of another type", `{"changes":[],"next":"0","more":"yes"}`, 0, ChangePage{}, `"more"`},
		{"too many", `{"changes":[{"cursor":"1"},{"cursor":"2"},{"cursor":"3"}],"next":"3"}`, 0, ChangePage{}, "more than the 2 asked"},
		{"not an object", `[]`, 0, ChangePage{}, "want a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseChangePage([]byte(tc.body), tc.after, 2)
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want one naming %q", err, tc.bad)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestChangesAsksForTheSourceAfterTheCursor(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Path + "?" + r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"changes":[{"cursor":"43"}],"next":"43","more":false}`))
	}))
	defer srv.Close()
	c := newClient(Config{}, nil)
	page, err := c.Changes(context.Background(), srv.URL, "pub@host:8080", 42, 100)
	if err != nil || page != (ChangePage{Changes: 1, Next: 43}) {
		t.Fatalf("page %+v, %v", page, err)
	}
	if want := "/federation/changes?after=42&limit=100&source=pub%40host%3A8080"; asked != want {
		t.Fatalf("asked %q, want %q", asked, want)
	}
	if _, err := c.Changes(context.Background(), srv.URL, "pub@host", 50, 100); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("a page behind the cursor: %v, want ErrIncompatible", err)
	}
}

func FuzzChangePage(f *testing.F) {
	for _, s := range []string{
		`{"changes":[],"next":"0","more":false}`,
		`{"changes":[{"cursor":"1","kind":"version.mirrored","source":"a@b"}],"next":"1","more":true}`,
		`{"changes":[{"cursor":"99999999999999999999"}],"next":"1"}`,
		`{"changes":{"cursor":"1"},"next":"1"}`,
		`{"changes":[null,1,"x"],"next":"0"}`,
		`null`, ``, `{} {}`,
	} {
		f.Add([]byte(s), int64(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, after int64) {
		after = max(after, 0)
		page, err := parseChangePage(body, after, 100)
		if err != nil {
			return
		}
		if page.Changes > 100 || page.Next < after || (page.Changes == 0) != (page.Next == after) {
			t.Fatalf("page %+v after %d", page, after)
		}
	})
}
