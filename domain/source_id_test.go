package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestNormalizeInstanceURLAndSourceID(t *testing.T) {
	tests := []struct {
		url, user, wantURL string
		wantID             domain.SourceID
	}{
		{"https://plugins.example.com", "author", "https://plugins.example.com", "author@plugins.example.com"},
		{"https://plugins.example.com/", "author", "https://plugins.example.com", "author@plugins.example.com"},
		{"HTTPS://Plugins.Example.COM///", "author", "https://plugins.example.com", "author@plugins.example.com"},
		{"https://plugins.example.com:443", "a", "https://plugins.example.com", "a@plugins.example.com"},
		{"http://127.0.0.1:8081", "a", "http://127.0.0.1:8081", "a@127.0.0.1:8081"},
		{"http://127.0.0.1:8082/", "a", "http://127.0.0.1:8082", "a@127.0.0.1:8082"},
		{"http://host:80/pub/", "a", "http://host/pub", "a@host"},
		{"http://[::1]:9000", "a", "http://[::1]:9000", "a@[::1]:9000"},
		{"  https://x.example  ", "Ünïcode-user", "https://x.example", "Ünïcode-user@x.example"},
	}
	for _, tt := range tests {
		got, err := domain.NormalizeInstanceURL(tt.url)
		if err != nil || got != tt.wantURL {
			t.Errorf("NormalizeInstanceURL(%q) = %q, %v; want %q", tt.url, got, err, tt.wantURL)
			continue
		}
		id, err := domain.NewSourceID(got, tt.user)
		if err != nil || id != tt.wantID {
			t.Errorf("NewSourceID(%q, %q) = %q, %v; want %q", got, tt.user, id, err, tt.wantID)
		}
		if _, err := domain.ParseSourceID(string(id)); err != nil {
			t.Errorf("ParseSourceID(%q): %v", id, err)
		}
	}
}

func TestHostileURLsAndNamesAreRejected(t *testing.T) {
	urls := []string{"", "plugins.example.com", "ftp://x.example", "javascript:alert(1)", "https://",
		"https://user:pw@x.example", "https://x.example/?q=1", "https://x.example/#f", "https://x.example/a/../b",
		"https://x.example/" + strings.Repeat("a", 3000), "https://x.example/\xff", "' OR '1'='1"}
	for _, u := range urls {
		if _, err := domain.NormalizeInstanceURL(u); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("NormalizeInstanceURL(%q) = %v, want ErrInvalidInput", u, err)
		}
	}
	names := []string{"", "a b", "a@", "@host", "a@@host", "a b@host", "a@host/x", "a@-bad-", "../etc", `a"b`, "' OR '1'='1", "a\x00b", "\xff\xfe", strings.Repeat("n", 200), "a/b", "a?b"}
	for _, n := range names {
		if err := domain.ValidateUsername(n); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ValidateUsername(%q) = %v, want ErrInvalidInput", n, err)
		}
	}
	ids := []string{"", "nohost", "a@", "@host", "a@@c", "a b@h@c", "a@h/x@c", "a@host/../x", "a@host'--", "' OR '1'='1"}
	for _, id := range ids {
		if _, err := domain.ParseSourceID(id); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseSourceID(%q) = %v, want ErrInvalidInput", id, err)
		}
	}
}

func FuzzNormalizeInstanceURL(f *testing.F) {
	for _, s := range []string{"https://a.example/", "http://[::1]:80", "HTTP://X:8080/p/", "https://x/../"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := domain.NormalizeInstanceURL(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error %v is not ErrInvalidInput", err)
			}
			return
		}
		again, err := domain.NormalizeInstanceURL(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, got, again, err)
		}
		if strings.HasSuffix(got, "/") {
			t.Fatalf("%q kept a trailing slash", got)
		}
	})
}

// TestSourceIDsOfDownstreamSources: a source mirrored from another node is
// named by its source id there, and its id here is read at the last '@'.
func TestSourceIDsOfDownstreamSources(t *testing.T) {
	for _, tc := range []struct{ url, user, wantID, wantUser, wantHost string }{
		{"http://127.0.0.1:8081", "pub@127.0.0.1:8080", "pub@127.0.0.1:8080@127.0.0.1:8081", "pub@127.0.0.1:8080", "127.0.0.1:8081"},
		{"https://b.example", "pub@p.example@a.example", "pub@p.example@a.example@b.example", "pub@p.example@a.example", "b.example"},
		{"https://b.example", "pub@[::1]:9", "pub@[::1]:9@b.example", "pub@[::1]:9", "b.example"},
	} {
		id, err := domain.NewSourceID(tc.url, tc.user)
		if err != nil || string(id) != tc.wantID {
			t.Errorf("NewSourceID(%q, %q) = %q, %v; want %q", tc.url, tc.user, id, err, tc.wantID)
			continue
		}
		if parsed, err := domain.ParseSourceID(string(id)); err != nil || parsed != id {
			t.Errorf("ParseSourceID(%q) = %q, %v", id, parsed, err)
		}
		if u, h := domain.SplitSourceID(id); u != tc.wantUser || h != tc.wantHost {
			t.Errorf("SplitSourceID(%q) = %q, %q; want %q, %q", id, u, h, tc.wantUser, tc.wantHost)
		}
	}
}

// FuzzParseSourceID: whatever parses splits at its last '@' into a valid
// username and host, and joins back to itself.
func FuzzParseSourceID(f *testing.F) {
	for _, s := range []string{"a@h", "pub@p.example@a.example:8080", "a@@h", "a@h@", "@", "a@[::1]:1@b", "a b@h@c", strings.Repeat("a@h", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := domain.ParseSourceID(s)
		if err != nil {
			return
		}
		user, host := domain.SplitSourceID(id)
		if string(id) != user+"@"+host {
			t.Fatalf("%q splits into %q and %q", id, user, host)
		}
		if err := domain.ValidateUsername(user); err != nil {
			t.Fatalf("%q parses, but its username %q does not validate: %v", s, user, err)
		}
	})
}
