package publisher

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckContentType(t *testing.T) {
	t.Parallel()
	accepted := []string{
		"",
		"application/json",
		"application/json; charset=utf-8",
		"Application/JSON",
		"application/problem+json",
		"text/json",
		"application/vnd.api+json; v=2",
		"text/plain",
		"text/plain; charset=utf-8",
		"application/octet-stream",
		"application/json;;broken params", // unparseable parameters, JSON type
	}
	for _, ct := range accepted {
		if err := checkContentType(ct); err != nil {
			t.Errorf("checkContentType(%q) = %v, want accepted", ct, err)
		}
	}
	refused := []string{"text/html", "text/html; charset=utf-8", "application/xml", "image/png", "multipart/form-data; boundary=x"}
	for _, ct := range refused {
		err := checkContentType(ct)
		if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), ct) {
			t.Errorf("checkContentType(%q) = %v, want ErrIncompatible naming the type", ct, err)
		}
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"  \n ", ""},
		{"busy", `"busy"`},
		{"two\nlines\x00", `"two\nlines\x00"`},
		{strings.Repeat("a", maxSnippetBytes+1), `"` + strings.Repeat("a", maxSnippetBytes) + `"…`},
		// A multi-byte rune cut at the limit is dropped, not shown broken.
		{strings.Repeat("a", maxSnippetBytes-1) + "é", `"` + strings.Repeat("a", maxSnippetBytes-1) + `"…`},
	}
	for _, tt := range tests {
		if got := snippet([]byte(tt.in)); got != tt.want {
			t.Errorf("snippet(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
