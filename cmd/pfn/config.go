package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Config is everything the node reads from its environment. The variable
// names are the node's public interface: keep them.
type Config struct {
	DatabaseURL     string        // PFN_DATABASE_URL
	Listen          string        // PFN_LISTEN
	LogLevel        slog.Level    // PFN_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // PFN_LOG_FORMAT: json or text
	ShutdownTimeout time.Duration // PFN_SHUTDOWN_TIMEOUT
	// MasterKey (PFN_MASTER_KEY) may create API keys. A secret: never logged.
	MasterKey string
	// AllowPrivateNetworks (PFN_ALLOW_PRIVATE_NETWORKS) lets the node connect
	// to publishers on loopback, private and link-local addresses: for tests
	// and closed networks only.
	AllowPrivateNetworks bool
	BlobStore            string // PFN_BLOB_STORE: a path, file:///path or s3://bucket?endpoint=&region=
	NodeKeyFile          string // PFN_NODE_KEY_FILE: the node's Ed25519 key, created on first start
	MaxPluginBytes       int64  // PFN_MAX_PLUGIN_BYTES
	PublicCatalog        bool   // PFN_PUBLIC_CATALOG: list/download/verify without a key
	// PublicURL (PFN_PUBLIC_URL) is the node's base URL as other nodes reach
	// it, named in its /federation-info and author-data; "" names the URL
	// each request came to.
	PublicURL string
	// LogOrigin (PFN_LOG_ORIGIN) names the node's transparency log in its
	// checkpoints; "" is "pfn/<id of the node's oldest key>" (logOrigin).
	LogOrigin string
	Ops       OpsConfig
	Limits    LimitsConfig
	Sync      SyncConfig
	HTTP      HTTPConfig
	// TransparencyLog (PFN_TRANSPARENCY_LOG, on or off) keeps the log of
	// the node's signed statements (issue #16); off leaves its projection
	// out.
	TransparencyLog bool
}

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/pfn?sslmode=disable"

// flagGroup names settings a command offers as flags. Every command reads
// the whole Config from the environment; only the settings it uses are
// flags, so that "pfn migrate -h" lists what matters to migrate.
type flagGroup uint8

const (
	databaseFlags flagGroup = 1 << iota // -database-url
	logFlags                            // -log-level, -log-format
	serveFlags                          // everything else: what pfn serve uses
	allFlags      = databaseFlags | logFlags | serveFlags
)

// loadConfig reads the environment through getenv, then lets flags in args
// override it. It returns the arguments left after the flags.
func loadConfig(getenv func(string) string, fs *flag.FlagSet, args []string) (Config, []string, error) {
	return loadConfigFlags(getenv, fs, args, allFlags)
}

// loadConfigFlags is loadConfig registering on the command's flag set only
// the groups in show. The others go to envOnly, a set never parsed: every
// setting is still read and checked the same way from the environment,
// whether the command offers its flag or not.
func loadConfigFlags(getenv func(string) string, fs *flag.FlagSet, args []string, show flagGroup) (Config, []string, error) {
	envOnly := flag.NewFlagSet("", flag.ContinueOnError)
	on := func(g flagGroup) *flag.FlagSet {
		if show&g != 0 {
			return fs
		}
		return envOnly
	}
	db, logs, node := on(databaseFlags), on(logFlags), on(serveFlags)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var (
		cfg   Config
		level string
	)
	db.StringVar(&cfg.DatabaseURL, "database-url", env("PFN_DATABASE_URL", defaultDatabaseURL), "PostgreSQL URL (PFN_DATABASE_URL)")
	node.StringVar(&cfg.Listen, "listen", env("PFN_LISTEN", ":8080"), "HTTP listen address (PFN_LISTEN)")
	logs.StringVar(&level, "log-level", env("PFN_LOG_LEVEL", "info"), "debug, info, warn or error (PFN_LOG_LEVEL)")
	logs.StringVar(&cfg.LogFormat, "log-format", env("PFN_LOG_FORMAT", "json"), "json or text (PFN_LOG_FORMAT)")
	checkDurations := registerDurations(node, env, []durationVar{
		{"shutdown-timeout", "PFN_SHUTDOWN_TIMEOUT", "15s", "how long to drain requests on SIGTERM", &cfg.ShutdownTimeout},
	})
	checkBools := registerBools(node, env, []boolVar{
		{"allow-private-networks", "PFN_ALLOW_PRIVATE_NETWORKS", "false", "allow publishers on loopback/private/link-local addresses", &cfg.AllowPrivateNetworks},
		{"public-catalog", "PFN_PUBLIC_CATALOG", "true", "serve the plugin catalogue without a key", &cfg.PublicCatalog},
	})
	node.StringVar(&cfg.BlobStore, "blob-store", env("PFN_BLOB_STORE", "file://./data/blobs"), "where plugin files go (PFN_BLOB_STORE)")
	node.StringVar(&cfg.NodeKeyFile, "node-key-file", env("PFN_NODE_KEY_FILE", "./data/node.key"), "the node's signing key (PFN_NODE_KEY_FILE)")
	node.StringVar(&cfg.PublicURL, "public-url", env("PFN_PUBLIC_URL", ""), "the node's base URL as other nodes reach it (PFN_PUBLIC_URL)")
	node.StringVar(&cfg.LogOrigin, "log-origin", env("PFN_LOG_ORIGIN", ""), "the transparency log's origin line (PFN_LOG_ORIGIN)")
	var maxBytes string
	node.StringVar(&maxBytes, "max-plugin-bytes", env("PFN_MAX_PLUGIN_BYTES", "104857600"), "largest plugin file accepted (PFN_MAX_PLUGIN_BYTES)")
	checkOps := registerOps(node, env, &cfg.Ops)
	checkLimits := registerLimits(node, env, &cfg.Limits)
	checkSync := registerSync(node, env, &cfg.Sync)
	checkHTTP := registerHTTP(node, env, &cfg.HTTP)
	checkLog := registerTransparencyLog(node, env, &cfg.TransparencyLog)
	// No flag for the master key: flags show up in process listings.
	cfg.MasterKey = getenv("PFN_MASTER_KEY")
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	errs := slices.Concat(checkDurations(), checkBools(), checkOps(), checkLimits(), checkSync(), checkHTTP(), checkLog())
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("PFN_LOG_LEVEL %q: want debug, info, warn or error", level))
	}
	cfg.LogFormat = strings.ToLower(cfg.LogFormat)
	if cfg.LogFormat != "json" && cfg.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("PFN_LOG_FORMAT %q: want json or text", cfg.LogFormat))
	}
	if n, err := strconv.ParseInt(maxBytes, 10, 64); err != nil || n <= 0 {
		errs = append(errs, fmt.Errorf("PFN_MAX_PLUGIN_BYTES %q: want a positive number of bytes", maxBytes))
	} else {
		cfg.MaxPluginBytes = n
	}
	if cfg.PublicURL != "" {
		u, err := domain.NormalizeInstanceURL(cfg.PublicURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("PFN_PUBLIC_URL: %w", err))
		}
		cfg.PublicURL = u
	}
	if cfg.LogOrigin != "" {
		if err := tlogtiles.ValidOrigin(cfg.LogOrigin); err != nil {
			errs = append(errs, fmt.Errorf("PFN_LOG_ORIGIN: %w", err))
		}
	}
	if cfg.MasterKey != "" && len(cfg.MasterKey) < 16 {
		errs = append(errs, errors.New("PFN_MASTER_KEY is shorter than 16 characters; use a long random string"))
	}
	if cfg.DatabaseURL == "" {
		errs = append(errs, errors.New("PFN_DATABASE_URL is empty"))
	}
	return cfg, fs.Args(), errors.Join(errs...)
}
