package publisher

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzContentSHA256 feeds arbitrary header values: no panic, and what it
// names is always 64 lower-case hex digits taken from the input.
func FuzzContentSHA256(f *testing.F) {
	sha := strings.Repeat("ab", 32)
	for _, seed := range [][2]string{
		{sha, ""}, {"", `"` + sha + `"`}, {"", `W/"` + sha + `"`}, {strings.ToUpper(sha), ""},
		{" " + sha + " ", ""}, {"sha256=" + sha, `"x"`}, {strings.Repeat("f", 65), `"` + strings.Repeat("g", 64) + `"`},
		{"\x00\xff", "\"\""}, {"", `"` + sha},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, xContent, etag string) {
		h := http.Header{}
		if xContent != "" {
			h.Set(ContentSHA256Header, xContent)
		}
		if etag != "" {
			h.Set("ETag", etag)
		}
		got := ContentSHA256(h)
		if got == "" {
			return
		}
		if len(got) != 64 || strings.Trim(got, "0123456789abcdef") != "" {
			t.Fatalf("ContentSHA256 = %q, not a lower-case sha256", got)
		}
		if !strings.Contains(strings.ToLower(xContent+etag), got) {
			t.Fatalf("ContentSHA256 = %q, not from the input", got)
		}
	})
}
