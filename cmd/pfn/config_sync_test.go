package main

import (
	"testing"
	"time"
)

var defaultSync = SyncConfig{MaxFiles: 200, MaxBytes: 1 << 30, MaxListing: 10000, MinDownloadRate: 4096, RateWindow: 30 * time.Second, Parallelism: 4,
	RevalidateMax: 100, RevalidateTimeout: 10 * time.Second}

func TestLoadSyncConfig(t *testing.T) {
	tests := []configCase[SyncConfig]{
		{name: "defaults", want: defaultSync},
		{name: "environment", env: map[string]string{"PFN_SYNC_MAX_FILES": "3", "PFN_SYNC_MAX_BYTES": "5000000000",
			"PFN_SYNC_MAX_LISTING": "50", "PFN_MIN_DOWNLOAD_RATE": "100", "PFN_MIN_DOWNLOAD_RATE_WINDOW": "2s", "PFN_SYNC_PARALLELISM": "1",
			"PFN_REVALIDATE_MAX": "7", "PFN_REVALIDATE_TIMEOUT": "1500ms"},
			want: SyncConfig{MaxFiles: 3, MaxBytes: 5000000000, MaxListing: 50, MinDownloadRate: 100, RateWindow: 2 * time.Second, Parallelism: 1,
				RevalidateMax: 7, RevalidateTimeout: 1500 * time.Millisecond}},
		{name: "zero files", env: map[string]string{"PFN_SYNC_MAX_FILES": "0"}, wantErr: `PFN_SYNC_MAX_FILES "0"`},
		{name: "files beyond int32", env: map[string]string{"PFN_SYNC_MAX_FILES": "99999999999"}, wantErr: `PFN_SYNC_MAX_FILES`},
		{name: "bad bytes", env: map[string]string{"PFN_SYNC_MAX_BYTES": "1GB"}, wantErr: `PFN_SYNC_MAX_BYTES "1GB"`},
		{name: "bad listing", env: map[string]string{"PFN_SYNC_MAX_LISTING": "-1"}, wantErr: `PFN_SYNC_MAX_LISTING "-1"`},
		{name: "bad rate", env: map[string]string{"PFN_MIN_DOWNLOAD_RATE": "fast"}, wantErr: `PFN_MIN_DOWNLOAD_RATE "fast"`},
		{name: "bad window", env: map[string]string{"PFN_MIN_DOWNLOAD_RATE_WINDOW": "0s"}, wantErr: `PFN_MIN_DOWNLOAD_RATE_WINDOW "0s"`},
		{name: "zero parallelism", env: map[string]string{"PFN_SYNC_PARALLELISM": "0"}, wantErr: `PFN_SYNC_PARALLELISM "0": want a positive number such as 4`},
		{name: "zero revalidations", env: map[string]string{"PFN_REVALIDATE_MAX": "0"}, wantErr: `PFN_REVALIDATE_MAX "0": want a positive number such as 100`},
		{name: "bad revalidation deadline", env: map[string]string{"PFN_REVALIDATE_TIMEOUT": "soon"}, wantErr: `PFN_REVALIDATE_TIMEOUT "soon"`},
	}
	runConfigCases(t, tests, func(c Config) SyncConfig { return c.Sync })
}
