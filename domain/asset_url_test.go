package domain_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// The expected URLs are worked out by hand from the rule the reference
// publisher (cmd/pfn-publisher/catalog.go, assetPath) serves by: domain
// without its trailing slash, "/", then the scheme with the first literal
// "author" and every literal "slug" replaced in one pass (or only the
// placeholders), values path-escaped.
func TestAssetURL(t *testing.T) {
	t.Parallel()
	const d = "https://assets.example.com"
	tests := []struct {
		name, domain, scheme, author, slug, version, want string
	}{
		{"protocol example", d, "plugins/author/slug/slug.zip", "plugin-author", "hello", "1.0.0",
			d + "/plugins/plugin-author/hello/hello.zip"},
		{"author slugger keeps its slug", d, "plugins/author/slug/slug.zip", "slugger", "hello", "1.0.0",
			d + "/plugins/slugger/hello/hello.zip"},
		{"slug author-tools keeps its author", d, "plugins/author/slug/slug.zip", "jane", "author-tools", "1.0.0",
			d + "/plugins/jane/author-tools/author-tools.zip"},
		{"both at once", d, "plugins/author/slug/slug.zip", "slugger", "author-tools", "1.0.0",
			d + "/plugins/slugger/author-tools/author-tools.zip"},
		{"substituted values are not searched again", d, "author/slug.zip", "slug", "author", "1",
			d + "/slug/author.zip"},
		{"legacy replaces only the first author", d, "author/author-slug.zip", "jane", "x", "1",
			d + "/jane/author-x.zip"},
		{"legacy slug before author", d, "slug/author.zip", "jane", "x", "1", d + "/x/jane.zip"},
		{"legacy words inside words", d, "authors/slugs/slug.zip", "jane", "x", "1", d + "/janes/xs/x.zip"},
		{"legacy without author ignores the author", d, "files/slug.zip", "", "x", "", d + "/files/x.zip"},
		{"legacy ignores the version", d, "author/slug.zip", "jane", "x", "", d + "/jane/x.zip"},
		{"placeholders", d, "{author}/{slug}/{version}.zip", "jane", "x", "2.0.0", d + "/jane/x/2.0.0.zip"},
		{"placeholders leave literal words", d, "author/{author}/slug/{slug}.zip", "jane", "x", "1",
			d + "/author/jane/slug/x.zip"},
		{"placeholders repeat", d, "{slug}/{slug}-{version}.zip", "jane", "x", "1", d + "/x/x-1.zip"},
		{"placeholder without author ignores the author", d, "{slug}/{version}.zip", "", "x", "1", d + "/x/1.zip"},
		{"values are path-escaped", d, "{author}/{slug}/{version}.zip", "Jane Doe", "../../etc", "1.0/2",
			d + "/Jane%20Doe/..%2F..%2Fetc/1.0%2F2.zip"},
		{"legacy values are path-escaped", d, "plugins/author/slug.zip", "a?b", "c#d", "1", d + "/plugins/a%3Fb/c%23d.zip"},
		{"percent and backslash are escaped", d, "{slug}.zip", "a", `100%\x`, "1", d + "/100%25%5Cx.zip"},
		{"dots inside a value are harmless", d, "{slug}/f", "a", "...", "1", d + "/.../f"},
		{"a colon in a value stays in the path", d, "slug/x.zip", "a", "https:", "1", d + "/https:/x.zip"},
		{"domain path prefix", "https://cdn.example/assets", "p/slug.zip", "a", "x", "1", "https://cdn.example/assets/p/x.zip"},
		{"domain trailing slash", "https://cdn.example/assets/", "p/slug.zip", "a", "x", "1", "https://cdn.example/assets/p/x.zip"},
		{"scheme leading slash stays under the prefix", "https://cdn.example/assets", "/p/slug.zip", "a", "x", "1",
			"https://cdn.example/assets/p/x.zip"},
		{"domain with port", "http://127.0.0.1:8081", "plugins/author/slug/slug.zip", "a", "x", "1",
			"http://127.0.0.1:8081/plugins/a/x/x.zip"},
		{"IPv6 domain", "http://[::1]:9000/", "{slug}.zip", "a", "x", "1", "http://[::1]:9000/x.zip"},
		{"non-ASCII is escaped", d, "plügins/{slug}.zip", "a", "é", "1", d + "/pl%C3%BCgins/%C3%A9.zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.AssetURL(tt.domain, tt.scheme, tt.author, tt.slug, tt.version)
			if err != nil || got != tt.want {
				t.Fatalf("AssetURL(%q, %q, %q, %q, %q) = %q, %v; want %q",
					tt.domain, tt.scheme, tt.author, tt.slug, tt.version, got, err, tt.want)
			}
		})
	}
}

func TestAssetURLRefuses(t *testing.T) {
	t.Parallel()
	const d = "https://assets.example.com"
	const s = "plugins/author/slug/slug.zip"
	tests := []struct {
		name, domain, scheme, author, slug, version, wantErr string
	}{
		{"empty domain", "", s, "a", "x", "1", "asset domain is empty"},
		{"domain without scheme", "assets.example.com", s, "a", "x", "1", "http:// or https://"},
		{"ftp domain", "ftp://assets.example.com", s, "a", "x", "1", "http:// or https://"},
		{"javascript domain", "javascript:alert(1)", s, "a", "x", "1", "http:// or https://"},
		{"domain without host", "https://", s, "a", "x", "1", "no host"},
		{"domain with user", "https://u:p@assets.example.com", s, "a", "x", "1", "user name"},
		{"domain with query", d + "/?q=1", s, "a", "x", "1", "query"},
		{"domain with fragment", d + "/#f", s, "a", "x", "1", "query"},
		{"domain with dot segment", d + "/a/../b", s, "a", "x", "1", `".."`},
		{"domain too long", d + "/" + strings.Repeat("a", 3000), s, "a", "x", "1", "at most"},
		{"empty scheme", d, "", "a", "x", "1", "naming scheme is empty"},
		{"absolute URL scheme", d, "https://evil.example/slug.zip", "a", "x", "1", "absolute URL"},
		{"javascript scheme", d, "javascript:slug", "a", "x", "1", "absolute URL"},
		{"scheme-relative URL", d, "//evil.example/slug.zip", "a", "x", "1", "another host"},
		{"scheme climbs out", d, "../slug.zip", "a", "x", "1", `".."`},
		{"scheme climbs out further down", "https://cdn.example/assets", "p/../../slug.zip", "a", "x", "1", `".."`},
		{"escaped dot-dot in scheme", d, "%2e%2E/slug.zip", "a", "x", "1", `".."`},
		{"dot segment in scheme", d, "./{slug}.zip", "a", "x", "1", `"."`},
		{"scheme ends in dot-dot", d, "{slug}/..", "a", "x", "1", `".."`},
		{"query in scheme", d, "{slug}.zip?download=1", "a", "x", "1", "'?'"},
		{"fragment in scheme", d, "{slug}.zip#f", "a", "x", "1", "'?'"},
		{"backslash in scheme", d, `..\{slug}.zip`, "a", "x", "1", "'?'"},
		{"bad escape in scheme", d, "{slug}%zz.zip", "a", "x", "1", "does not give a URL"},
		{"control character in scheme", d, "{slug}\x00.zip", "a", "x", "1", "does not give a URL"},
		{"placeholders without slug", d, "{author}/{version}.zip", "a", "x", "1", "no {slug}"},
		{"legacy without slug", d, "plugins/author/file.zip", "a", "x", "1", "neither"},
		{"scheme too long", d, strings.Repeat("slug/", 300), "a", "x", "1", "at most"},
		{"result too long", d, strings.Repeat("slug", 200), "a", strings.Repeat("x", 100), "1", "more than"},
		{"empty slug", d, s, "a", "", "1", "slug"},
		{"dot slug", d, s, "a", ".", "1", "slug"},
		{"dot-dot slug", d, s, "a", "..", "1", "slug"},
		{"dot-dot author", d, s, "..", "x", "1", "author"},
		{"empty author", d, s, "", "x", "1", "author"},
		{"empty version when used", d, "{slug}/{version}.zip", "a", "x", "", "version"},
		{"dot-dot version when used", d, "{slug}/{version}.zip", "a", "x", "..", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.AssetURL(tt.domain, tt.scheme, tt.author, tt.slug, tt.version)
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("AssetURL(%q, %q, %q, %q, %q) = %q, %v; want ErrInvalidInput saying %q",
					tt.domain, tt.scheme, tt.author, tt.slug, tt.version, got, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func FuzzAssetURL(f *testing.F) {
	seeds := [][5]string{
		{"https://assets.example.com", "plugins/author/slug/slug.zip", "plugin-author", "hello", "1.0.0"},
		{"https://cdn.example/assets/", "{author}/{slug}/{version}.zip", "slugger", "author-tools", "2.0.0-rc.1"},
		{"http://127.0.0.1:8081", "/slug.zip", "a", "../..", "1"},
		{"https://cdn.example/a", "../{slug}", "a", "x", "1"},
		{"https://cdn.example/a", "%2e%2e/{slug}", "a", "x", "1"},
		{"https://cdn.example", "//evil.example/slug", "a", "x", "1"},
		{"https://cdn.example", "https://evil.example/slug", "a", "x", "1"},
		{"https://cdn.example", "slug", "a", "%2e%2e", "1"},
		{"https://cdn.example", "{slug}{version}", "a", ".", "."},
		{"https://cdn.example", "slug/author", "a/b?c#d", "x y", "1"},
		{"https://cdn.example/p%2Fq/", "{slug}:{version}", "a", "x", "1"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, assetDomain, scheme, author, slug, version string) {
		got, err := domain.AssetURL(assetDomain, scheme, author, slug, version)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		d, err := url.Parse(assetDomain)
		if err != nil {
			t.Fatalf("AssetURL accepted domain %q that does not parse: %v", assetDomain, err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("AssetURL(%q, %q, ...) = %q, which does not parse: %v", assetDomain, scheme, got, err)
		}
		if u.Scheme != d.Scheme || u.Host != d.Host {
			t.Fatalf("AssetURL(%q, %q, ...) = %q, not on %s://%s", assetDomain, scheme, got, d.Scheme, d.Host)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("AssetURL(%q, %q, ...) = %q has user info, a query or a fragment", assetDomain, scheme, got)
		}
		prefix := strings.TrimRight(d.EscapedPath(), "/") + "/"
		if !strings.HasPrefix(u.EscapedPath(), prefix) {
			t.Fatalf("AssetURL(%q, %q, ...) = %q, path not under %q", assetDomain, scheme, got, prefix)
		}
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			dec, err := url.PathUnescape(seg)
			if err != nil || dec == ".." || dec == "." {
				t.Fatalf("AssetURL(%q, %q, ...) = %q has segment %q (%q, %v)", assetDomain, scheme, got, seg, dec, err)
			}
		}
		again, err := url.Parse(u.String())
		if err != nil || again.String() != got {
			t.Fatalf("AssetURL result %q does not round-trip: %q, %v", got, again, err)
		}
	})
}
