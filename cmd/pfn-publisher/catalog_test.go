package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestAssetPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, scheme, author, slug, version, want string
	}{
		{"legacy", "plugins/author/slug/slug.zip", "plugin-author", "hello", "1.0.0", "plugins/plugin-author/hello/hello.zip"},
		{"legacy replaces only the first author", "author/author-slug.zip", "jane", "x", "1", "jane/author-x.zip"},
		{"legacy does not touch substituted values", "plugins/author/slug/slug.zip", "slugger", "author", "1", "plugins/slugger/author/author.zip"},
		{"legacy without author", "files/slug.zip", "jane", "x", "1", "files/x.zip"},
		{"legacy slug before author", "slug/author.zip", "jane", "x", "1", "x/jane.zip"},
		{"placeholders", "{author}/{slug}/{version}.zip", "jane", "x", "2.0.0", "jane/x/2.0.0.zip"},
		{"placeholders leave literal words", "author/{author}/slug/{slug}.zip", "jane", "x", "1", "author/jane/slug/x.zip"},
		{"placeholders repeat", "{slug}/{slug}-{version}.zip", "jane", "x", "1", "x/x-1.zip"},
		{"values are path-escaped", "{author}/{slug}/{version}.zip", "Jane Doe", "../../etc", "1.0/2", "Jane%20Doe/..%2F..%2Fetc/1.0%2F2.zip"},
		{"legacy values are path-escaped", "plugins/author/slug.zip", "a?b", "c#d", "1", "plugins/a%3Fb/c%23d.zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := assetPath(tt.scheme, tt.author, tt.slug, tt.version); got != tt.want {
				t.Fatalf("assetPath(%q, %q, %q, %q) = %q, want %q", tt.scheme, tt.author, tt.slug, tt.version, got, tt.want)
			}
		})
	}
}

func TestCheckNamingScheme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scheme  string
		wantErr string
	}{
		{"plugins/author/slug/slug.zip", ""},
		{"{author}/{slug}/{version}.zip", ""},
		{"slug.zip", ""},
		{"", "empty"},
		{"{author}/{version}.zip", "no {slug}"},
		{"plugins/author/file.zip", "neither"},
		{"{slug}.zip?download=1", "'?'"},
		{"{slug}%zz.zip", "invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			t.Parallel()
			err := checkNamingScheme(tt.scheme)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkNamingScheme(%q) = %v, want an error with %q", tt.scheme, err, tt.wantErr)
			}
		})
	}
}

func TestPluginContentIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, size := range []int{4, 5, 31, 32, 33, 4096, 100_000} {
		a, b := pluginContent("plugin-1", "1.0.0", size), pluginContent("plugin-1", "1.0.0", size)
		if len(a) != size || !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("PK\x03\x04")) {
			t.Fatalf("size %d: %d bytes, equal twice %v, prefix %q", size, len(a), bytes.Equal(a, b), a[:4])
		}
	}
	base := pluginContent("plugin-1", "1.0.0", 64)
	for _, other := range [][]byte{
		pluginContent("plugin-1", "1.0.1", 64),
		pluginContent("plugin-2", "1.0.0", 64),
		// The separator keeps slug "a" version "b1" apart from "ab" "1".
		pluginContent("plugin-11", ".0.0", 64),
	} {
		if bytes.Equal(base, other) {
			t.Fatal("different slug or version, same bytes")
		}
	}
	if !bytes.Equal(pluginContent("plugin-1", "1.0.0", 100)[:64], base) {
		t.Fatal("a longer file does not extend the shorter one")
	}
}

func TestGeneratedCatalog(t *testing.T) {
	t.Parallel()
	plugins := generatePlugins(6)
	wantTags := [][]string{
		{"utilities", "productivity"}, {"productivity", "security"}, {"security", "media"},
		{"media", "dev"}, {"dev", "utilities"}, {"utilities", "productivity"},
	}
	for i, p := range plugins {
		if !slices.Equal(p.Tags, wantTags[i]) {
			t.Errorf("%s tags %v, want %v", p.Slug, p.Tags, wantTags[i])
		}
		if p.Content != nil || p.BadSignature || p.OmitSignature {
			t.Errorf("%s is not a plain generated plugin", p.Slug)
		}
	}
	if len(generatePlugins(0)) != 0 {
		t.Fatal("-plugins 0 generated plugins")
	}
}
