package main

import (
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    Config
		wantErr string
	}{
		{
			name: "defaults",
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":8080", LogLevel: slog.LevelInfo, LogFormat: "json", ShutdownTimeout: 15 * time.Second},
		},
		{
			name: "environment",
			env: map[string]string{"PFN_DATABASE_URL": "postgres://u@db/x", "PFN_LISTEN": "127.0.0.1:9000",
				"PFN_LOG_LEVEL": "debug", "PFN_LOG_FORMAT": "TEXT", "PFN_SHUTDOWN_TIMEOUT": "3s"},
			want: Config{DatabaseURL: "postgres://u@db/x", Listen: "127.0.0.1:9000", LogLevel: slog.LevelDebug, LogFormat: "text", ShutdownTimeout: 3 * time.Second},
		},
		{
			name: "flags override the environment",
			env:  map[string]string{"PFN_LISTEN": "127.0.0.1:9000", "PFN_LOG_LEVEL": "debug"},
			args: []string{"-listen", ":7000", "-log-level", "warn"},
			want: Config{DatabaseURL: defaultDatabaseURL, Listen: ":7000", LogLevel: slog.LevelWarn, LogFormat: "json", ShutdownTimeout: 15 * time.Second},
		},
		{name: "bad level", env: map[string]string{"PFN_LOG_LEVEL": "loud"}, wantErr: `PFN_LOG_LEVEL "loud"`},
		{name: "bad format", env: map[string]string{"PFN_LOG_FORMAT": "xml"}, wantErr: `PFN_LOG_FORMAT "xml"`},
		{name: "bad timeout", env: map[string]string{"PFN_SHUTDOWN_TIMEOUT": "-1s"}, wantErr: `PFN_SHUTDOWN_TIMEOUT "-1s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			got, _, err := loadConfig(func(k string) string { return tt.env[k] }, fs, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("loadConfig = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
