package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// hostCases are instance URLs with the source id registration gives them
// ("" when registration refuses the URL).
var hostCases = []struct{ url, id string }{
	{"https://plugins.example.com", "a@plugins.example.com"},
	{"https://Plugins.Example.COM.", "a@plugins.example.com"},
	{"https://under_score.example", "a@under_score.example"},
	{"https://xn--bcher-kva.example", "a@xn--bcher-kva.example"},
	{"https://bücher.example", "a@xn--bcher-kva.example"},
	{"https://BÜCHER.example", "a@xn--bcher-kva.example"},
	{"http://127.0.0.1:8081", "a@127.0.0.1:8081"},
	{"http://127.0.0.1:08081", "a@127.0.0.1:8081"},
	{"http://[::1]:9000", "a@[::1]:9000"},
	{"http://[0:0::1]:9000", "a@[::1]:9000"},
	{"http://[::FFFF:7F00:1]", "a@[::ffff:127.0.0.1]"},
	{"https://x.example:80", "a@x.example:80"},
	{"http://x.example:443", "a@x.example:443"},
	{"http://localhost:8080", "a@localhost:8080"},
	{"https://" + strings.Repeat("a", 63) + ".example", "a@" + strings.Repeat("a", 63) + ".example"},
	// Refused: the id of each would be unusable or ambiguous.
	{"http://exa~mple.invalid", ""},
	{"http://exa!mple.invalid", ""},
	{"http://exa$mple.invalid", ""},
	{"http://exa%27mple.invalid", ""},
	{"http://exa'mple.invalid", ""},
	{"http://exa(mple).invalid", ""},
	{"http://exa*mple.invalid", ""},
	{"http://exa+mple.invalid", ""},
	{"http://exa,mple.invalid", ""},
	{"http://exa;mple.invalid", ""},
	{"http://exa=mple.invalid", ""},
	{"http://exa%20mple.invalid", ""},
	{"http://-lead.example", ""},
	{"http://trail-.example", ""},
	{"http://a..example", ""},
	{"http://.example", ""},
	{"http://x.example..", ""},
	{"https://" + strings.Repeat("a", 64) + ".example", ""},
	{"https://" + strings.Repeat("abcdefgh.", 29) + "example", ""}, // 268 bytes
	{"http://1.2.3", ""},
	{"http://10.1", ""},
	{"http://0x7f.1", ""},
	{"http://256.1.1.1", ""},
	{"http://127.000.0.1", ""},
	{"http://[fe80::1%25eth0]:8080", ""},
	{"http://[127.0.0.1]", ""},
	{"http://x.example:0", ""},
	{"http://x.example:65536", ""},
	{"http://x.example:99999999999999999999", ""},
}

func TestOneHostRuleAtRegistrationAndInSourceIDs(t *testing.T) {
	t.Parallel()
	for _, tt := range hostCases {
		normalized, err := domain.NormalizeInstanceURL(tt.url)
		if tt.id == "" {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("NormalizeInstanceURL(%q) = %q, %v; want it refused", tt.url, normalized, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NormalizeInstanceURL(%q): %v", tt.url, err)
			continue
		}
		id, err := domain.NewSourceID(normalized, "a")
		if err != nil || string(id) != tt.id {
			t.Errorf("NewSourceID(%q) = %q, %v; want %q", normalized, id, err, tt.id)
			continue
		}
		if parsed, err := domain.ParseSourceID(string(id)); err != nil || parsed != id {
			t.Errorf("ParseSourceID(%q) = %q, %v: registration gave an id the parser refuses", id, parsed, err)
		}
	}
}

func TestParseSourceIDRefusesHostsRegistrationWouldNotWrite(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"a@exa~mple.invalid", "a@Plugins.example.com", "a@x.example.", "a@x.example:", "a@x.example:080",
		"a@x.example:0", "a@x.example:65536", "a@[::1", "a@[::1]x", "a@[::1]:", "a@[127.0.0.1]", "a@::1",
		"a@[0:0::1]", "a@bücher.example", "a@1.2.3", "a@-x.example", "a@x..example", "a@x.example:8080:1",
		"a@[fe80::1%eth0]", "a@" + strings.Repeat("a", 64) + ".example",
	} {
		if _, err := domain.ParseSourceID(id); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseSourceID(%q) = %v, want ErrInvalidInput", id, err)
		}
	}
}

// FuzzHostRuleRoundTrip: whatever registration accepts gives an id the
// parser accepts, unchanged.
func FuzzHostRuleRoundTrip(f *testing.F) {
	for _, tt := range hostCases {
		f.Add(tt.url)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		normalized, err := domain.NormalizeInstanceURL(raw)
		if err != nil {
			return
		}
		id, err := domain.NewSourceID(normalized, "a")
		if err != nil {
			t.Fatalf("NewSourceID(%q): %v", normalized, err)
		}
		parsed, err := domain.ParseSourceID(string(id))
		if err != nil || parsed != id {
			t.Fatalf("%q registers as %q, which ParseSourceID refuses: %v", raw, id, err)
		}
	})
}

// FuzzSourceIDRegisters: every id the parser accepts is the id of a URL
// registration accepts (so no accepted id names a source that cannot exist).
func FuzzSourceIDRegisters(f *testing.F) {
	for _, tt := range hostCases {
		if tt.id != "" {
			f.Add(tt.id)
		}
	}
	f.Add("a@exa~mple.invalid")
	f.Add("a@[::1]:080")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := domain.ParseSourceID(s)
		if err != nil {
			return
		}
		user, hostPort, _ := strings.Cut(string(id), "@")
		// https drops 443 and http drops 80: pick the scheme that keeps the
		// id's port.
		scheme := "http://"
		if strings.HasSuffix(hostPort, ":80") {
			scheme = "https://"
		}
		normalized, err := domain.NormalizeInstanceURL(scheme + hostPort)
		if err != nil {
			t.Fatalf("ParseSourceID accepts %q, but registration refuses %q: %v", s, scheme+hostPort, err)
		}
		again, err := domain.NewSourceID(normalized, user)
		if err != nil || again != id {
			t.Fatalf("%q registers as %q, %v", s, again, err)
		}
	})
}
