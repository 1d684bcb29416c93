package main

import (
	"log/slog"
	"testing"
	"time"
)

var defaultOps = OpsConfig{Scheduler: true, HealthInterval: 5 * time.Minute, SyncInterval: 15 * time.Minute,
	ReverifyInterval: 24 * time.Hour, RecheckInterval: 24 * time.Hour, RemovalSweep: time.Minute, RetryBase: time.Hour, JobLease: 2 * time.Minute,
	ReadyMaxLag: 10000}

func TestLoadConfig(t *testing.T) {
	tests := []configCase[Config]{
		{
			name: "defaults",
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":8080", LogLevel: slog.LevelInfo, LogFormat: "json", ShutdownTimeout: 15 * time.Second,
				BlobStore: "file://./data/blobs", NodeKeyFile: "./data/node.key", MaxPluginBytes: 100 << 20, PublicCatalog: true, Ops: defaultOps, Limits: defaultLimits, Sync: defaultSync, HTTP: defaultHTTP, TransparencyLog: true},
		},
		{
			name: "environment",
			env: map[string]string{"PFN_DATABASE_URL": "postgres://u@db/x", "PFN_LISTEN": "127.0.0.1:9000",
				"PFN_LOG_LEVEL": "debug", "PFN_LOG_FORMAT": "TEXT", "PFN_SHUTDOWN_TIMEOUT": "3s",
				"PFN_MASTER_KEY": "0123456789abcdefg", "PFN_ALLOW_PRIVATE_NETWORKS": "true", "PFN_BLOB_STORE": "s3://b?region=x",
				"PFN_NODE_KEY_FILE": "/k", "PFN_MAX_PLUGIN_BYTES": "1000", "PFN_PUBLIC_CATALOG": "false",
				"PFN_SCHEDULER": "false", "PFN_HEALTH_INTERVAL": "2s", "PFN_SYNC_INTERVAL": "3s", "PFN_REVERIFY_INTERVAL": "1h",
				"PFN_RETRY_BASE": "1s", "PFN_JOB_LEASE": "5s", "PFN_READY_MAX_LAG": "50", "PFN_KEEP_VERSIONS": "3",
				"PFN_SOURCE_QUOTA_BYTES": "1000000", "PFN_RECHECK_INTERVAL": "2h", "PFN_PUBLIC_URL": "HTTPS://Node.Example:443/",
				"PFN_TRANSPARENCY_LOG": "off"},
			want: Config{DatabaseURL: "postgres://u@db/x", Listen: "127.0.0.1:9000", LogLevel: slog.LevelDebug, LogFormat: "text", ShutdownTimeout: 3 * time.Second,
				MasterKey: "0123456789abcdefg", AllowPrivateNetworks: true, BlobStore: "s3://b?region=x", NodeKeyFile: "/k",
				MaxPluginBytes: 1000, PublicCatalog: false, PublicURL: "https://node.example",
				Ops: OpsConfig{HealthInterval: 2 * time.Second, SyncInterval: 3 * time.Second, ReverifyInterval: time.Hour, RecheckInterval: 2 * time.Hour, RemovalSweep: time.Minute,
					RetryBase: time.Second, JobLease: 5 * time.Second, ReadyMaxLag: 50, KeepVersions: 3, SourceQuota: 1000000}, Limits: defaultLimits, Sync: defaultSync, HTTP: defaultHTTP},
		},
		{
			name: "flags override the environment",
			env:  map[string]string{"PFN_LISTEN": "127.0.0.1:9000", "PFN_LOG_LEVEL": "debug"},
			args: []string{"-listen", ":7000", "-log-level", "warn"},
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":7000", LogLevel: slog.LevelWarn, LogFormat: "json", ShutdownTimeout: 15 * time.Second,
				BlobStore: "file://./data/blobs", NodeKeyFile: "./data/node.key", MaxPluginBytes: 100 << 20, PublicCatalog: true, Ops: defaultOps, Limits: defaultLimits, Sync: defaultSync, HTTP: defaultHTTP, TransparencyLog: true},
		},
		{name: "bad level", env: map[string]string{"PFN_LOG_LEVEL": "loud"}, wantErr: `PFN_LOG_LEVEL "loud"`},
		{name: "bad format", env: map[string]string{"PFN_LOG_FORMAT": "xml"}, wantErr: `PFN_LOG_FORMAT "xml"`},
		{name: "bad timeout", env: map[string]string{"PFN_SHUTDOWN_TIMEOUT": "-1s"}, wantErr: `PFN_SHUTDOWN_TIMEOUT "-1s"`},
		{name: "short master key", env: map[string]string{"PFN_MASTER_KEY": "short"}, wantErr: "PFN_MASTER_KEY is shorter"},
		{name: "bad max bytes", env: map[string]string{"PFN_MAX_PLUGIN_BYTES": "lots"}, wantErr: `PFN_MAX_PLUGIN_BYTES "lots"`},
		{name: "bad public url", env: map[string]string{"PFN_PUBLIC_URL": "node.example"}, wantErr: "PFN_PUBLIC_URL: instance_url must start with http://"},
		{name: "bad bool", env: map[string]string{"PFN_PUBLIC_CATALOG": "yes"}, wantErr: `PFN_PUBLIC_CATALOG "yes"`},
		{name: "bad interval", env: map[string]string{"PFN_SYNC_INTERVAL": "0s"}, wantErr: `PFN_SYNC_INTERVAL "0s"`},
		{name: "bad keep", env: map[string]string{"PFN_KEEP_VERSIONS": "-2"}, wantErr: `PFN_KEEP_VERSIONS "-2"`},
		{name: "bad quota", env: map[string]string{"PFN_SOURCE_QUOTA_BYTES": "1GB"}, wantErr: `PFN_SOURCE_QUOTA_BYTES "1GB"`},
		{name: "bad scheduler", env: map[string]string{"PFN_SCHEDULER": "on"}, wantErr: `PFN_SCHEDULER "on"`},
		{name: "bad private networks", env: map[string]string{"PFN_ALLOW_PRIVATE_NETWORKS": "yes"}, wantErr: `PFN_ALLOW_PRIVATE_NETWORKS "yes": want true or false`},
		{name: "bad bool flag", args: []string{"-scheduler=on"}, wantErr: `PFN_SCHEDULER "on": want true or false`},
		{name: "bad duration flag", args: []string{"-shutdown-timeout", "soon"}, wantErr: `PFN_SHUTDOWN_TIMEOUT "soon": want a positive duration such as 15s`},
		{
			name: "boolean flags: alone means true, =false overrides the environment",
			env:  map[string]string{"PFN_SCHEDULER": "false", "PFN_PUBLIC_CATALOG": "true"},
			args: []string{"-allow-private-networks", "-scheduler", "-public-catalog=false"},
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":8080", LogLevel: slog.LevelInfo, LogFormat: "json", ShutdownTimeout: 15 * time.Second,
				AllowPrivateNetworks: true, BlobStore: "file://./data/blobs", NodeKeyFile: "./data/node.key", MaxPluginBytes: 100 << 20, PublicCatalog: false,
				Ops: defaultOps, Limits: defaultLimits, Sync: defaultSync, HTTP: defaultHTTP, TransparencyLog: true},
		},
		{
			name: "the transparency log turned off by flag, on by the environment",
			env:  map[string]string{"PFN_TRANSPARENCY_LOG": "on"},
			args: []string{"-transparency-log", "off"},
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":8080", LogLevel: slog.LevelInfo, LogFormat: "json", ShutdownTimeout: 15 * time.Second,
				BlobStore: "file://./data/blobs", NodeKeyFile: "./data/node.key", MaxPluginBytes: 100 << 20, PublicCatalog: true, Ops: defaultOps, Limits: defaultLimits, Sync: defaultSync, HTTP: defaultHTTP},
		},
		{name: "bad transparency log", env: map[string]string{"PFN_TRANSPARENCY_LOG": "true"}, wantErr: `PFN_TRANSPARENCY_LOG "true": want on or off`},
		{name: "bad transparency log flag", args: []string{"-transparency-log=yes"}, wantErr: `PFN_TRANSPARENCY_LOG "yes": want on or off`},
	}
	runConfigCases(t, tests, func(c Config) Config { return c })
}
