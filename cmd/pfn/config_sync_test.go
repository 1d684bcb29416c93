package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

var defaultSync = SyncConfig{MaxFiles: 200, MaxBytes: 1 << 30, MaxListing: 10000, MinDownloadRate: 4096, RateWindow: 30 * time.Second, Parallelism: 4}

func TestLoadSyncConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    SyncConfig
		wantErr string
	}{
		{name: "defaults", want: defaultSync},
		{name: "environment", env: map[string]string{"PFN_SYNC_MAX_FILES": "3", "PFN_SYNC_MAX_BYTES": "5000000000",
			"PFN_SYNC_MAX_LISTING": "50", "PFN_MIN_DOWNLOAD_RATE": "100", "PFN_MIN_DOWNLOAD_RATE_WINDOW": "2s", "PFN_SYNC_PARALLELISM": "1"},
			want: SyncConfig{MaxFiles: 3, MaxBytes: 5000000000, MaxListing: 50, MinDownloadRate: 100, RateWindow: 2 * time.Second, Parallelism: 1}},
		{name: "zero files", env: map[string]string{"PFN_SYNC_MAX_FILES": "0"}, wantErr: `PFN_SYNC_MAX_FILES "0"`},
		{name: "files beyond int32", env: map[string]string{"PFN_SYNC_MAX_FILES": "99999999999"}, wantErr: `PFN_SYNC_MAX_FILES`},
		{name: "bad bytes", env: map[string]string{"PFN_SYNC_MAX_BYTES": "1GB"}, wantErr: `PFN_SYNC_MAX_BYTES "1GB"`},
		{name: "bad listing", env: map[string]string{"PFN_SYNC_MAX_LISTING": "-1"}, wantErr: `PFN_SYNC_MAX_LISTING "-1"`},
		{name: "bad rate", env: map[string]string{"PFN_MIN_DOWNLOAD_RATE": "fast"}, wantErr: `PFN_MIN_DOWNLOAD_RATE "fast"`},
		{name: "bad window", env: map[string]string{"PFN_MIN_DOWNLOAD_RATE_WINDOW": "0s"}, wantErr: `PFN_MIN_DOWNLOAD_RATE_WINDOW "0s"`},
		{name: "zero parallelism", env: map[string]string{"PFN_SYNC_PARALLELISM": "0"}, wantErr: `PFN_SYNC_PARALLELISM "0": want a positive number such as 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			got, _, err := loadConfig(func(k string) string { return tt.env[k] }, fs, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Sync != tt.want {
				t.Fatalf("loadConfig = %+v, %v; want %+v", got.Sync, err, tt.want)
			}
		})
	}
}
