package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestFederationInfo(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{NamingScheme: "{author}/{slug}/{version}.zip"}, sameKeys(t), generatePlugins(1))
	r := do(t, http.MethodGet, srv.URL+"/federation-info", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
	}
	want := `{"version":"1.0.0","features":["plugin-distribution","signature-verification","plugin-signature-v2"],` +
		`"assetInfo":{"domain":"` + srv.URL + `","namingScheme":"{author}/{slug}/{version}.zip"}}`
	if string(r.body) != want {
		t.Fatalf("body\n%s\nwant\n%s", r.body, want)
	}
	if r := do(t, http.MethodPost, srv.URL+"/federation-info", "{}"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Fatalf("POST /federation-info: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

func TestEveryPluginSignatureVerifies(t *testing.T) {
	t.Parallel()
	keys := sameKeys(t)
	srv, _ := startPublisher(t, Options{}, keys, generatePlugins(7))
	plugins := authorPlugins(t, srv.URL)
	if len(plugins) != 7 {
		t.Fatalf("%d plugins, want 7", len(plugins))
	}
	for i, p := range plugins {
		if p.Slug != fmt.Sprintf("plugin-%d", i+1) || p.Name != fmt.Sprintf("Plugin %d", i+1) || p.Version != "1.0.0" {
			t.Errorf("plugin %d is %q %q %q", i+1, p.Slug, p.Name, p.Version)
		}
		if p.Signature == nil {
			t.Fatalf("%s has no signature", p.Slug)
		}
		if !verifies(public(keys.Plugin), p.claim().SignedMessage(), *p.Signature) {
			t.Errorf("%s: signature does not verify over %s", p.Slug, p.claim().SignedMessage())
		}
		if err := domain.VerifyPlugin(public(keys.Plugin), p.claim(), *p.Signature); err != nil {
			t.Errorf("%s: %v", p.Slug, err)
		}
		// Go's encoding/json escapes these; a node that rebuilds the bytes
		// that way must fail, which the generated descriptions make sure of.
		if !strings.ContainsAny(p.ShortDescription, "<>&") {
			t.Errorf("%s: description %q has none of < > &", p.Slug, p.ShortDescription)
		}
	}
	r := do(t, http.MethodGet, srv.URL+"/author-data?author="+testAuthor, "")
	for _, want := range []string{`"tags":{"category1":"utilities","category2":"productivity"}`, `<utilities> & <productivity>`} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("author-data does not hold %s as a JavaScript publisher writes it", want)
		}
	}
}

// The interop vectors hold descriptions with quotes, backslashes, control
// characters and non-ASCII text, signed by Node. Served through this
// publisher they must reach a node as the very bytes Node signed.
func TestVectorPluginsSurviveTheWire(t *testing.T) {
	t.Parallel()
	raw, err := readVectors()
	if err != nil {
		t.Fatal(err)
	}
	keys := sameKeys(t)
	var plugins []Plugin
	for _, v := range raw {
		plugins = append(plugins, Plugin{Slug: v.Slug, Name: v.Name, Version: v.Version, ShortDescription: v.ShortDescription})
	}
	srv, _ := startPublisher(t, Options{}, keys, plugins)
	got := authorPlugins(t, srv.URL)
	if len(got) != len(raw) {
		t.Fatalf("%d plugins, want %d", len(got), len(raw))
	}
	for i, p := range got {
		if msg := string(p.claim().SignedMessage()); msg != raw[i].SignedMessage {
			t.Errorf("%s: rebuilt %q, Node signed %q", p.Slug, msg, raw[i].SignedMessage)
		}
		if err := domain.VerifyPlugin(public(keys.Plugin), p.claim(), *p.Signature); err != nil {
			t.Errorf("%s: %v", p.Slug, err)
		}
	}
}

type vector struct {
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	Version          string `json:"version"`
	ShortDescription string `json:"short_description"`
	SignedMessage    string `json:"signed_message"`
}

func readVectors() ([]vector, error) {
	b, err := os.ReadFile("../../domain/testdata/ed25519-js-interop.json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Plugins []vector `json:"plugins"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Plugins) == 0 {
		return nil, fmt.Errorf("no plugin vectors")
	}
	return doc.Plugins, nil
}

func TestAuthorDataErrors(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{}, sameKeys(t), generatePlugins(2))
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"another author", http.MethodGet, "/author-data?author=someone-else", http.StatusNotFound},
		{"author differs in case", http.MethodGet, "/author-data?author=Plugin-Author", http.StatusNotFound},
		{"no author", http.MethodGet, "/author-data", http.StatusBadRequest},
		{"POST", http.MethodPost, "/author-data?author=" + testAuthor, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, tt.method, srv.URL+tt.path, "")
			var body struct{ Error string }
			if r.status != tt.want || json.Unmarshal(r.body, &body) != nil || body.Error == "" {
				t.Fatalf("%d %s, want %d with a JSON error", r.status, r.body, tt.want)
			}
		})
	}
}

func TestVerifyOwnership(t *testing.T) {
	t.Parallel()
	keys := sameKeys(t)
	srv, _ := startPublisher(t, Options{}, keys, nil)
	tests := []struct {
		name, method, body string
		want               int
	}{
		{"valid", http.MethodPost, `{"username":"plugin-author","challenge":"` + testChallenge + `"}`, http.StatusOK},
		{"unknown fields are ignored", http.MethodPost, `{"username":"plugin-author","challenge":"` + testChallenge + `","nonce":1}`, http.StatusOK},
		{"non-ASCII challenge", http.MethodPost, `{"username":"plugin-author","challenge":"défi 🚀"}`, http.StatusBadRequest},
		{"bare hex (not the format)", http.MethodPost, `{"username":"plugin-author","challenge":"89df1152dbf2403344133799b2df1c3841a2"}`, http.StatusBadRequest},
		{"upper-case nonce", http.MethodPost, `{"username":"plugin-author","challenge":"` + strings.ToUpper(testChallenge) + `"}`, http.StatusBadRequest},
		{"a plugin claim", http.MethodPost, `{"username":"plugin-author","challenge":"{\"id\":\"a\",\"name\":\"A\",\"version\":\"1.0.0\",\"description\":\"d\"}"}`, http.StatusBadRequest},
		{"other username", http.MethodPost, `{"username":"mallory","challenge":"c"}`, http.StatusBadRequest},
		{"no username", http.MethodPost, `{"challenge":"c"}`, http.StatusBadRequest},
		{"no challenge", http.MethodPost, `{"username":"plugin-author"}`, http.StatusBadRequest},
		{"empty challenge", http.MethodPost, `{"username":"plugin-author","challenge":""}`, http.StatusBadRequest},
		{"challenge not a string", http.MethodPost, `{"username":"plugin-author","challenge":42}`, http.StatusBadRequest},
		{"not JSON", http.MethodPost, `username=plugin-author`, http.StatusBadRequest},
		{"empty body", http.MethodPost, ``, http.StatusBadRequest},
		{"trailing data", http.MethodPost, `{"username":"plugin-author","challenge":"c"}{}`, http.StatusBadRequest},
		{"body over 64 KiB", http.MethodPost, `{"username":"plugin-author","challenge":"` + strings.Repeat("a", 64<<10) + `"}`, http.StatusRequestEntityTooLarge},
		{"GET", http.MethodGet, ``, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, tt.method, srv.URL+"/verify-ownership", tt.body)
			if r.status != tt.want {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.want)
			}
			var resp struct{ Signature, Error string }
			if err := json.Unmarshal(r.body, &resp); err != nil {
				t.Fatalf("answer is not JSON: %s", r.body)
			}
			if tt.want != http.StatusOK {
				if resp.Error == "" {
					t.Fatalf("no error message in %s", r.body)
				}
				return
			}
			var req struct{ Challenge string }
			json.Unmarshal([]byte(tt.body), &req)
			if err := domain.VerifyChallenge(public(keys.Plugin), req.Challenge, resp.Signature); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestChallengeKeySignsChallengesOnly(t *testing.T) {
	t.Parallel()
	keys := Keys{Plugin: newKey(t), Challenge: newKey(t)}
	srv, _ := startPublisher(t, Options{}, keys, generatePlugins(3))
	r := do(t, http.MethodPost, srv.URL+"/verify-ownership", `{"username":"plugin-author","challenge":"`+testChallenge+`"}`)
	var resp struct{ Signature string }
	if err := json.Unmarshal(r.body, &resp); err != nil || r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if domain.VerifyChallenge(public(keys.Plugin), testChallenge, resp.Signature) == nil {
		t.Fatal("the challenge signature verifies with the main key")
	}
	if err := domain.VerifyChallenge(public(keys.Challenge), testChallenge, resp.Signature); err != nil {
		t.Fatalf("not signed with the challenge key: %v", err)
	}
	for _, p := range authorPlugins(t, srv.URL) {
		if err := domain.VerifyPlugin(public(keys.Plugin), p.claim(), *p.Signature); err != nil {
			t.Errorf("plugins must stay signed with the main key: %v", err)
		}
	}
}

func TestNamingSchemesServeTheRightBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, username, scheme, domainPath string
		// paths are where plugin-1 and plugin-2 must be served.
		paths []string
	}{
		{"legacy default", "plugin-author", "plugins/author/slug/slug.zip", "",
			[]string{"/plugins/plugin-author/plugin-1/plugin-1.zip", "/plugins/plugin-author/plugin-2/plugin-2.zip"}},
		{"legacy, author called slugger", "slugger", "plugins/author/slug/slug.zip", "",
			[]string{"/plugins/slugger/plugin-1/plugin-1.zip", "/plugins/slugger/plugin-2/plugin-2.zip"}},
		{"legacy, only the first author", "plugin-author", "author/slug/author-slug.zip", "",
			[]string{"/plugin-author/plugin-1/author-plugin-1.zip", "/plugin-author/plugin-2/author-plugin-2.zip"}},
		{"legacy with a leading slash", "plugin-author", "/dl/slug.zip", "",
			[]string{"/dl/plugin-1.zip", "/dl/plugin-2.zip"}},
		{"placeholders", "plugin-author", "{author}/{slug}/{version}.zip", "",
			[]string{"/plugin-author/plugin-1/1.0.0.zip", "/plugin-author/plugin-2/1.0.0.zip"}},
		{"placeholders keep literal words", "plugin-author", "author/{author}/slug-{slug}@{version}.zip", "",
			[]string{"/author/plugin-author/slug-plugin-1@1.0.0.zip", "/author/plugin-author/slug-plugin-2@1.0.0.zip"}},
		{"escaped username", "Jane Doe/2", "{author}/{slug}.zip", "",
			[]string{"/Jane%20Doe%2F2/plugin-1.zip", "/Jane%20Doe%2F2/plugin-2.zip"}},
		{"domain with a path", "plugin-author", "{slug}.zip", "/cdn",
			[]string{"/cdn/plugin-1.zip", "/cdn/plugin-2.zip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := startPublisher(t, Options{Username: tt.username, NamingScheme: tt.scheme, AssetDomain: tt.domainPath}, sameKeys(t), generatePlugins(2))
			for i, path := range tt.paths {
				slug := "plugin-" + strconv.Itoa(i+1)
				r := do(t, http.MethodGet, srv.URL+path, "")
				want := pluginContent(slug, "1.0.0", 4096)
				if r.status != http.StatusOK || !bytes.Equal(r.body, want) {
					t.Fatalf("GET %s: %d, %d bytes; want the %d bytes of %s", path, r.status, len(r.body), len(want), slug)
				}
				if ct, cl := r.header.Get("Content-Type"), r.header.Get("Content-Length"); ct != "application/zip" || cl != "4096" {
					t.Fatalf("GET %s: Content-Type %q, Content-Length %q", path, ct, cl)
				}
				if tt.domainPath != "" {
					// Resolved as a URL reference the domain's path is
					// dropped: that spelling is served too.
					stripped := strings.TrimPrefix(path, tt.domainPath)
					if r := do(t, http.MethodGet, srv.URL+stripped, ""); r.status != http.StatusOK || !bytes.Equal(r.body, want) {
						t.Fatalf("GET %s: %d", stripped, r.status)
					}
				}
			}
		})
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{}, sameKeys(t), generatePlugins(2))
	for _, path := range []string{
		"/",
		"/favicon.ico",
		"/plugins/plugin-author/plugin-3/plugin-3.zip",
		"/plugins/plugin-author/plugin-1/plugin-1.zip/",
		"/plugins/plugin-author/plugin-1/plugin-2.zip",
		"/plugins/someone/plugin-1/plugin-1.zip",
		"/plugins/plugin-author/plugin-1%2Fplugin-1.zip",
		"/plugins/plugin-author/../plugin-author/plugin-1/plugin-1.zip",
		"/_admin/catalog",
		"/_admin/down",
	} {
		t.Run(path, func(t *testing.T) {
			r := do(t, http.MethodGet, srv.URL+path, "")
			if r.status != http.StatusNotFound {
				t.Fatalf("GET %s: %d, want 404", path, r.status)
			}
		})
	}
	// POST to a real asset is a wrong method, not a missing file.
	if r := do(t, http.MethodPost, srv.URL+"/plugins/plugin-author/plugin-1/plugin-1.zip", "x"); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("POST asset: %d", r.status)
	}
}

func TestTagsFilterPredictably(t *testing.T) {
	t.Parallel()
	// The table the -help text prints for the default catalog.
	fiveByTag := map[string][]string{
		"utilities":    {"plugin-1", "plugin-5"},
		"productivity": {"plugin-1", "plugin-2"},
		"security":     {"plugin-2", "plugin-3"},
		"media":        {"plugin-3", "plugin-4"},
		"dev":          {"plugin-4", "plugin-5"},
	}
	tests := []struct {
		n     int
		byTag map[string][]string
	}{
		{5, fiveByTag},
		{12, ruleByTag(12)},
		{1, map[string][]string{"utilities": {"plugin-1"}, "productivity": {"plugin-1"}}},
	}
	if !reflect.DeepEqual(ruleByTag(5), fiveByTag) {
		t.Fatalf("the documented rule gives %v, the documented table %v", ruleByTag(5), fiveByTag)
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			t.Parallel()
			srv, _ := startPublisher(t, Options{}, sameKeys(t), generatePlugins(tt.n))
			got := map[string][]string{}
			for _, p := range authorPlugins(t, srv.URL) {
				tags := p.tagValues(t)
				if len(tags) != 2 {
					t.Fatalf("%s has tags %v", p.Slug, tags)
				}
				for _, tag := range tags {
					got[tag] = append(got[tag], p.Slug)
				}
			}
			if !reflect.DeepEqual(got, tt.byTag) {
				t.Fatalf("plugins by tag\n%v\nwant\n%v", got, tt.byTag)
			}
		})
	}
}

// ruleByTag applies the rule as the -help text states it: tag number j
// (1..5) is on plugin-i when i mod 5 is j mod 5 or (j-1) mod 5.
func ruleByTag(n int) map[string][]string {
	out := map[string][]string{}
	for j, tag := range []string{"utilities", "productivity", "security", "media", "dev"} {
		j++
		for i := 1; i <= n; i++ {
			if i%5 == j%5 || i%5 == (j-1)%5 {
				out[tag] = append(out[tag], "plugin-"+strconv.Itoa(i))
			}
		}
	}
	return out
}

func TestSHA256Field(t *testing.T) {
	t.Parallel()
	for _, with := range []bool{false, true} {
		t.Run(strconv.FormatBool(with), func(t *testing.T) {
			t.Parallel()
			srv, _ := startPublisher(t, Options{WithSHA256: with, V1Only: true, PluginSize: 1000}, sameKeys(t), generatePlugins(3))
			for _, p := range authorPlugins(t, srv.URL) {
				if !with {
					if p.SHA256 != nil {
						t.Fatalf("%s has sha256 without -with-sha256", p.Slug)
					}
					continue
				}
				r := do(t, http.MethodGet, srv.URL+"/plugins/plugin-author/"+p.Slug+"/"+p.Slug+".zip", "")
				sum := sha256.Sum256(r.body)
				if p.SHA256 == nil || *p.SHA256 != hex.EncodeToString(sum[:]) || len(r.body) != 1000 {
					t.Fatalf("%s: sha256 %v, file of %d bytes hashes to %x", p.Slug, p.SHA256, len(r.body), sum)
				}
			}
		})
	}
}

func TestHeadAndRangeOnAssets(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{}, sameKeys(t), generatePlugins(1))
	url := srv.URL + "/plugins/plugin-author/plugin-1/plugin-1.zip"
	if r := do(t, http.MethodHead, url, ""); r.status != http.StatusOK || r.header.Get("Content-Length") != "4096" || len(r.body) != 0 {
		t.Fatalf("HEAD: %d, Content-Length %q, %d body bytes", r.status, r.header.Get("Content-Length"), len(r.body))
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Range", "bytes=0-3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || b.String() != "PK\x03\x04" {
		t.Fatalf("Range: %d %q", resp.StatusCode, b.String())
	}
}

func TestAdminReplacesTheCatalog(t *testing.T) {
	t.Parallel()
	keys := sameKeys(t)
	srv, _ := startPublisher(t, Options{Admin: true, NamingScheme: "{author}/{slug}/{version}.zip"}, keys, generatePlugins(2))
	newBytes := []byte("PK\x03\x04 other bytes for the same version")
	body, _ := json.Marshal([]map[string]any{
		{"slug": "plugin-1", "name": "Plugin 1", "version": "1.1.0", "short_description": "bumped", "tags": []string{"security"}},
		{"slug": "plugin-2", "name": "Plugin 2", "version": "1.0.0", "short_description": "same version, new bytes",
			"content_base64": newBytes, "tags": []string{"media", "dev", "utilities"}},
		{"slug": "evil", "name": "Evil", "version": "1.0.0", "short_description": "lies", "bad_signature": true},
		{"slug": "unsigned", "name": "Unsigned", "version": "1.0.0", "short_description": "", "omit_signature": true, "tags_as_array": true, "tags": []string{"dev"}},
		{"slug": "../../etc/passwd", "name": "Hostile", "version": "1.0.0", "short_description": "path traversal"},
		{"name": "No slug", "version": "1.0.0", "short_description": "missing slug"},
	})
	r := do(t, http.MethodPost, srv.URL+"/_admin/catalog", string(body))
	if r.status != http.StatusOK {
		t.Fatalf("POST /_admin/catalog: %d %s", r.status, r.body)
	}
	var listing struct{ Plugins []assetListing }
	if err := json.Unmarshal(r.body, &listing); err != nil || len(listing.Plugins) != 6 {
		t.Fatalf("listing %s", r.body)
	}
	if got, want := listing.Plugins[4].URL, srv.URL+"/plugin-author/..%2F..%2Fetc%2Fpasswd/1.0.0.zip"; got != want {
		t.Fatalf("hostile slug listed at %s, want %s", got, want)
	}

	plugins := authorPlugins(t, srv.URL)
	if len(plugins) != 6 {
		t.Fatalf("%d plugins after replacement, want 6", len(plugins))
	}
	valid := map[string]bool{}
	for _, p := range plugins {
		valid[p.Slug] = p.Signature != nil && domain.VerifyPlugin(public(keys.Plugin), p.claim(), *p.Signature) == nil
	}
	wantValid := map[string]bool{"plugin-1": true, "plugin-2": true, "evil": false, "unsigned": false, "../../etc/passwd": true, "": true}
	if !reflect.DeepEqual(valid, wantValid) {
		t.Fatalf("signatures valid %v, want %v", valid, wantValid)
	}
	if !slices.Equal(plugins[1].tagValues(t), []string{"media", "dev", "utilities"}) || !bytes.Contains(must(t, srv.URL), []byte(`"tags":{"category1":"media","category2":"dev","category3":"utilities"}`)) {
		t.Fatalf("tags of plugin-2: %s", plugins[1].Tags)
	}
	if string(plugins[3].Tags) != `["dev"]` || plugins[3].Signature != nil {
		t.Fatalf("unsigned plugin: tags %s, signature %v", plugins[3].Tags, plugins[3].Signature)
	}
	if !bytes.Contains(must(t, srv.URL), []byte(`{"name":"No slug","version":"1.0.0"`)) {
		t.Fatal("a plugin without a slug is sent with an empty slug instead of none")
	}

	assets := []struct {
		path string
		want []byte
	}{
		{"/plugin-author/plugin-1/1.1.0.zip", pluginContent("plugin-1", "1.1.0", 4096)},
		{"/plugin-author/plugin-1/1.0.0.zip", nil},
		{"/plugin-author/plugin-2/1.0.0.zip", newBytes},
		{"/plugin-author/..%2F..%2Fetc%2Fpasswd/1.0.0.zip", pluginContent("../../etc/passwd", "1.0.0", 4096)},
	}
	for _, a := range assets {
		r := do(t, http.MethodGet, srv.URL+a.path, "")
		if a.want == nil {
			if r.status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404 after the replacement", a.path, r.status)
			}
			continue
		}
		if r.status != http.StatusOK || !bytes.Equal(r.body, a.want) {
			t.Errorf("GET %s: %d, %q", a.path, r.status, r.body[:min(len(r.body), 40)])
		}
	}
}

func must(t *testing.T, base string) []byte {
	t.Helper()
	return do(t, http.MethodGet, base+"/author-data?author="+testAuthor, "").body
}

func TestAdminRefusesBadCatalogs(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{Admin: true}, sameKeys(t), generatePlugins(2))
	for name, body := range map[string]string{
		"not an array":  `{"slug":"x"}`,
		"unknown field": `[{"slug":"x","verison":"1"}]`,
		"bad base64":    `[{"slug":"x","content_base64":"not base64!"}]`,
		"not JSON":      `slug=x`,
	} {
		t.Run(name, func(t *testing.T) {
			if r := do(t, http.MethodPost, srv.URL+"/_admin/catalog", body); r.status != http.StatusBadRequest {
				t.Fatalf("%d %s, want 400", r.status, r.body)
			}
		})
	}
	if n := len(authorPlugins(t, srv.URL)); n != 2 {
		t.Fatalf("a refused catalog changed the plugins: %d", n)
	}
	if r := do(t, http.MethodPost, srv.URL+"/_admin/catalog", `[]`); r.status != http.StatusOK || len(authorPlugins(t, srv.URL)) != 0 {
		t.Fatalf("an empty catalog: %d %s", r.status, r.body)
	}
}

func TestAdminDownAndUp(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{Admin: true}, sameKeys(t), generatePlugins(1))
	protocol := []struct{ method, path, body string }{
		{http.MethodGet, "/federation-info", ""},
		{http.MethodPost, "/verify-ownership", `{"username":"plugin-author","challenge":"` + testChallenge + `"}`},
		{http.MethodGet, "/author-data?author=" + testAuthor, ""},
		{http.MethodGet, "/plugins/plugin-author/plugin-1/plugin-1.zip", ""},
	}
	check := func(want int) {
		t.Helper()
		for _, e := range protocol {
			if r := do(t, e.method, srv.URL+e.path, e.body); r.status != want {
				t.Errorf("%s %s: %d, want %d", e.method, e.path, r.status, want)
			}
		}
	}
	check(http.StatusOK)
	if r := do(t, http.MethodPost, srv.URL+"/_admin/down", ""); r.status != http.StatusOK || string(r.body) != `{"down":true}` {
		t.Fatalf("down: %d %s", r.status, r.body)
	}
	check(http.StatusServiceUnavailable)
	if r := do(t, http.MethodGet, srv.URL+"/_admin/catalog", ""); r.status != http.StatusOK {
		t.Fatalf("admin must answer while down: %d", r.status)
	}
	if r := do(t, http.MethodGet, srv.URL+"/_admin/up", ""); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /_admin/up: %d", r.status)
	}
	if r := do(t, http.MethodPost, srv.URL+"/_admin/up", ""); r.status != http.StatusOK || string(r.body) != `{"down":false}` {
		t.Fatalf("up: %d %s", r.status, r.body)
	}
	check(http.StatusOK)
}

func TestCatalogSwapIsAtomicUnderLoad(t *testing.T) {
	t.Parallel()
	srv, pub := startPublisher(t, Options{Admin: true}, sameKeys(t), generatePlugins(3))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			if err := pub.SetCatalog(generatePlugins(1 + i%4)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		n := len(authorPlugins(t, srv.URL))
		if n < 1 || n > 4 {
			t.Fatalf("%d plugins mid-swap", n)
		}
	}
	<-done
	if !slices.ContainsFunc(authorPlugins(t, srv.URL), func(p decodedPlugin) bool { return p.Slug == "plugin-1" }) {
		t.Fatal("plugin-1 missing after the swaps")
	}
}

// TestSignatureV2: by default every plugin's signature_v2 verifies over the
// sha256 and size of the bytes its asset path serves, and the feature is
// announced; -v1-only lists none of it, as an original publisher.
func TestSignatureV2(t *testing.T) {
	t.Parallel()
	for _, v1Only := range []bool{false, true} {
		t.Run("v1-only="+strconv.FormatBool(v1Only), func(t *testing.T) {
			t.Parallel()
			keys := sameKeys(t)
			srv, _ := startPublisher(t, Options{V1Only: v1Only, PluginSize: 1000}, keys, generatePlugins(3))
			info := do(t, http.MethodGet, srv.URL+"/federation-info", "")
			if announced := strings.Contains(string(info.body), `"`+domain.FeaturePluginSignatureV2+`"`); announced == v1Only {
				t.Fatalf("features %s with v1-only %v", info.body, v1Only)
			}
			for _, p := range authorPlugins(t, srv.URL) {
				if v1Only {
					if p.SignatureV2 != nil || p.Size != nil || p.SHA256 != nil {
						t.Fatalf("%s lists v2 fields as an original publisher", p.Slug)
					}
					continue
				}
				r := do(t, http.MethodGet, srv.URL+"/plugins/plugin-author/"+p.Slug+"/"+p.Slug+".zip", "")
				sum := sha256.Sum256(r.body)
				served := hex.EncodeToString(sum[:])
				if p.SignatureV2 == nil || p.SHA256 == nil || p.Size == nil || *p.SHA256 != served || *p.Size != int64(len(r.body)) {
					t.Fatalf("%s: signature_v2 %v, sha256 %v, size %v; serves %s, %d bytes", p.Slug, p.SignatureV2, p.SHA256, p.Size, served, len(r.body))
				}
				claim := domain.PluginBytesClaim{PluginClaim: p.claim(), SHA256: served, Size: int64(len(r.body))}
				if err := domain.VerifyPluginBytes(keys.Plugin.Public().(ed25519.PublicKey), claim, *p.SignatureV2); err != nil {
					t.Fatalf("%s: %v", p.Slug, err)
				}
			}
		})
	}
}
