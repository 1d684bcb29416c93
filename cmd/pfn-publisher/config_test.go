package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	defaults := Config{Listen: "127.0.0.1:8090", Username: "plugin-author", Plugins: 5, PluginSize: 4096, NamingScheme: "plugins/author/slug/slug.zip"}
	with := func(f func(*Config)) Config { c := defaults; f(&c); return c }
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{
			name: "environment",
			env: map[string]string{"PFNPUB_LISTEN": "127.0.0.1:0", "PFNPUB_USERNAME": "jane", "PFNPUB_KEY_FILE": "/k.pem",
				"PFNPUB_PLUGINS": "12", "PFNPUB_PLUGIN_SIZE": "10", "PFNPUB_NAMING_SCHEME": "{author}/{slug}/{version}.zip",
				"PFNPUB_ASSET_DOMAIN": "https://cdn.example.com/", "PFNPUB_CHALLENGE_KEY_FILE": "/other.pem",
				"PFNPUB_WITH_SHA256": "true", "PFNPUB_ADMIN": "1", "PFNPUB_V1_ONLY": "true"},
			want: Config{Listen: "127.0.0.1:0", Username: "jane", KeyFile: "/k.pem", Plugins: 12, PluginSize: 10,
				NamingScheme: "{author}/{slug}/{version}.zip", AssetDomain: "https://cdn.example.com",
				ChallengeKeyFile: "/other.pem", WithSHA256: true, Admin: true, V1Only: true},
		},
		{
			name: "flags win over the environment",
			env:  map[string]string{"PFNPUB_PLUGINS": "12", "PFNPUB_ADMIN": "true", "PFNPUB_USERNAME": "jane"},
			args: []string{"-plugins", "3", "-admin=false"},
			want: with(func(c *Config) { c.Plugins, c.Username = 3, "jane" }),
		},
		{
			name: "a flag wins over a bad variable",
			env:  map[string]string{"PFNPUB_PLUGINS": "many"},
			args: []string{"-plugins", "2"},
			want: with(func(c *Config) { c.Plugins = 2 }),
		},
		{name: "bad variable", env: map[string]string{"PFNPUB_PLUGINS": "many"}, wantErr: `PFNPUB_PLUGINS="many"`},
		{name: "negative plugins", args: []string{"-plugins", "-1"}, wantErr: "-plugins -1"},
		{name: "plugin too small for the magic", args: []string{"-plugin-size", "3"}, wantErr: "-plugin-size 3"},
		{name: "scheme without slug", args: []string{"-naming-scheme", "files/author.zip"}, wantErr: "-naming-scheme"},
		{name: "domain not a URL", args: []string{"-asset-domain", "cdn.example.com"}, wantErr: "-asset-domain"},
		{name: "domain with a query", args: []string{"-asset-domain", "https://cdn.example.com/?x=1"}, wantErr: "-asset-domain"},
		{name: "empty username", args: []string{"-username", ""}, wantErr: "-username"},
		{name: "print without a key file", args: []string{"-print-public-key"}, wantErr: "-print-public-key needs -key-file"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseConfig = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestHelpDocumentsTheRules(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	_, err := parseConfig([]string{"-help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-help: %v", err)
	}
	for _, want := range []string{"PFNPUB_KEY_FILE", "utilities: plugin-1, plugin-5", "i mod 5", "{version}", "-challenge-key-file"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-help does not mention %q", want)
		}
	}
}
