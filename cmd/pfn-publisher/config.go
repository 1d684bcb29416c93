package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Config is everything the publisher reads from its flags and PFNPUB_*
// variables. Tests start the binary with these names: keep them.
type Config struct {
	Listen           string // -listen, PFNPUB_LISTEN
	Username         string // -username, PFNPUB_USERNAME
	KeyFile          string // -key-file, PFNPUB_KEY_FILE; "" means a fresh in-memory key
	Plugins          int    // -plugins, PFNPUB_PLUGINS
	PluginSize       int    // -plugin-size, PFNPUB_PLUGIN_SIZE
	NamingScheme     string // -naming-scheme, PFNPUB_NAMING_SCHEME
	AssetDomain      string // -asset-domain, PFNPUB_ASSET_DOMAIN; "" means the publisher's own base URL
	ChallengeKeyFile string // -challenge-key-file, PFNPUB_CHALLENGE_KEY_FILE
	PrintPublicKey   bool   // -print-public-key, PFNPUB_PRINT_PUBLIC_KEY
	WithSHA256       bool   // -with-sha256, PFNPUB_WITH_SHA256
	Admin            bool   // -admin, PFNPUB_ADMIN
	InstanceURL      string // -instance-url, PFNPUB_INSTANCE_URL; "" means the publisher's own base URL
}

const (
	envPrefix = "PFNPUB_"
	// maxPluginSize keeps -plugin-size from asking for more memory than a
	// test machine has: every plugin's bytes are held in memory.
	maxPluginSize = 1 << 30
	maxPlugins    = 100_000
)

const usageHeader = `pfn-publisher: a reference plugin publisher for PFN's tests. It speaks the
publisher side of the protocol (docs/protocol.md) exactly as a JavaScript
publisher of the original network does, so that end-to-end tests can run it
as a real process.

On start it prints two lines to stdout:
  listening on http://HOST:PORT
  public key: <raw 32-byte Ed25519 public key, base64>

Key rotation: "pfn-publisher rotate-key -key-file PATH" moves the key to
PATH.previous and creates a new one. While PATH.previous exists the
publisher signs with the new key and announces it in /federation-info as
"key_rotation", signed by the previous key (docs/protocol.md); remove
PATH.previous once every node has followed.

Endpoints:
  GET  /federation-info
  POST /verify-ownership        {"username","challenge"} -> {"signature"}
  GET  /author-data?author=NAME
  GET  <asset path>             the path -naming-scheme gives for a plugin
  with -admin only:
  GET|POST /_admin/catalog      read or replace the plugin catalog (JSON array)
  POST /_admin/down, /_admin/up every protocol endpoint answers 503 while down
  POST /_admin/slow?ms=N        hold every file download back N ms
  POST /_admin/trickle?bps=N    send file bodies at N bytes a second (0: full speed)

Generated catalog (-plugins N): plugin-i for i = 1..N, named "Plugin i",
version 1.0.0, -plugin-size bytes that start with "PK\x03\x04" and are
otherwise derived from slug and version alone. Tags cycle over
  utilities, productivity, security, media, dev
and plugin-i carries the i-th and the (i+1)-th of them (wrapping around) as
category1 and category2; so tag number j (1..5) is on exactly the plugins
whose number i has i mod 5 = j mod 5 or (j-1) mod 5. With N = 5:
  utilities: plugin-1, plugin-5     productivity: plugin-1, plugin-2
  security:  plugin-2, plugin-3     media:        plugin-3, plugin-4
  dev:       plugin-4, plugin-5

Naming scheme: if it holds any of {author}, {slug}, {version} only those
placeholders are replaced; otherwise it is the legacy form, where the first
literal "author" becomes the username and every literal "slug" the slug.
Substituted values are path-escaped.

Every flag can also be set with PFNPUB_<NAME> (NAME upper-cased, '-' as
'_'); a flag on the command line wins over the variable.

Flags:
`

// envName is the variable that sets the flag called name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseConfig reads args, then fills every flag not given on the command
// line from its PFNPUB_* variable. It returns flag.ErrHelp for -h.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("pfn-publisher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := Config{}
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8090", "address to listen on; 127.0.0.1:0 picks a free port")
	fs.StringVar(&cfg.Username, "username", "plugin-author", "the one author this publisher serves")
	fs.StringVar(&cfg.KeyFile, "key-file", "", "Ed25519 private key, PKCS#8 PEM; created (mode 0600) if missing; empty: a fresh in-memory key")
	fs.IntVar(&cfg.Plugins, "plugins", 5, "how many plugins to generate (plugin-1..plugin-N)")
	fs.IntVar(&cfg.PluginSize, "plugin-size", 4096, "bytes per generated plugin file (at least 4, for the zip magic)")
	fs.StringVar(&cfg.NamingScheme, "naming-scheme", "plugins/author/slug/slug.zip", "assetInfo.namingScheme: legacy words author/slug or placeholders {author} {slug} {version}")
	fs.StringVar(&cfg.AssetDomain, "asset-domain", "", "assetInfo.domain (default: this publisher's own base URL)")
	fs.StringVar(&cfg.ChallengeKeyFile, "challenge-key-file", "", "sign ownership challenges with this other key (same format and creation rule as -key-file), to test a wrong key")
	fs.BoolVar(&cfg.PrintPublicKey, "print-public-key", false, "print the SPKI PEM public key of -key-file (creating the file if missing) and exit")
	fs.BoolVar(&cfg.WithSHA256, "with-sha256", false, "add a sha256 (hex) field to every plugin in /author-data")
	fs.BoolVar(&cfg.Admin, "admin", false, "enable the /_admin/ test hooks")
	fs.StringVar(&cfg.InstanceURL, "instance-url", "", "the instance URL nodes register (default: this publisher's own base URL); named in a key_rotation announcement")
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " (" + envName(f.Name) + ")" })
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}

	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v := getenv(name); v != "" && !onCommandLine[f.Name] {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	var errs []error
	if c.Username == "" {
		errs = append(errs, errors.New("-username is empty"))
	}
	if c.Plugins < 0 || c.Plugins > maxPlugins {
		errs = append(errs, fmt.Errorf("-plugins %d: want 0..%d", c.Plugins, maxPlugins))
	}
	if c.PluginSize < len(zipMagic) || c.PluginSize > maxPluginSize {
		errs = append(errs, fmt.Errorf("-plugin-size %d: want %d..%d", c.PluginSize, len(zipMagic), maxPluginSize))
	}
	if err := checkNamingScheme(c.NamingScheme); err != nil {
		errs = append(errs, fmt.Errorf("-naming-scheme %q: %w", c.NamingScheme, err))
	}
	if c.AssetDomain != "" {
		d, err := normalizeDomain(c.AssetDomain)
		if err != nil {
			errs = append(errs, fmt.Errorf("-asset-domain %q: %w", c.AssetDomain, err))
		}
		c.AssetDomain = d
	}
	if c.PrintPublicKey && c.KeyFile == "" {
		errs = append(errs, errors.New("-print-public-key needs -key-file: the public key of a throwaway key is of no use"))
	}
	return errors.Join(errs...)
}

// normalizeDomain checks that domain is an absolute http(s) URL with nothing
// after the path, and drops a trailing slash so that domain+path joins.
func normalizeDomain(domain string) (string, error) {
	u, err := url.Parse(domain)
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want an http or https URL")
	case u.Host == "":
		return "", errors.New("has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", errors.New("want scheme, host and at most a path")
	}
	return strings.TrimRight(domain, "/"), nil
}
