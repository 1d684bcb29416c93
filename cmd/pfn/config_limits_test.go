package main

import (
	"testing"
	"time"
)

var defaultLimits = LimitsConfig{DBMaxConns: defaultDBMaxConns, MaxSyncs: defaultMaxSyncs, JobTimeout: 5 * time.Minute, PeerInfoTimeout: 10 * time.Second}

func TestLimitsConfig(t *testing.T) {
	tests := []configCase[LimitsConfig]{
		{name: "defaults leave room for requests", want: defaultLimits},
		{name: "environment", env: map[string]string{"PFN_DB_MAX_CONNS": "20", "PFN_MAX_CONCURRENT_SYNCS": "1", "PFN_JOB_TIMEOUT": "30s"},
			want: LimitsConfig{DBMaxConns: 20, MaxSyncs: 1, JobTimeout: 30 * time.Second, PeerInfoTimeout: 10 * time.Second}},
		{name: "flags", args: []string{"-db-max-conns", "50", "-max-concurrent-syncs", "10", "-job-timeout", "1h"},
			want: LimitsConfig{DBMaxConns: 50, MaxSyncs: 10, JobTimeout: time.Hour, PeerInfoTimeout: 10 * time.Second}},
		// 3 per sync (its lock, its work, its job's lease renewal), 7
		// projections (the transparency log's counted even when off), the scheduler's loop and 4 light workers each with a
		// job's connection and a lease renewal's, 1 for requests.
		{name: "pool too small for the syncs and the scheduler's workers", env: map[string]string{"PFN_DB_MAX_CONNS": "19", "PFN_MAX_CONCURRENT_SYNCS": "1"},
			wantErr: "PFN_DB_MAX_CONNS 19 is too small for PFN_MAX_CONCURRENT_SYNCS 1: want at least 20 (3 per sync, 7 for the projections, 9 for the scheduler, 1 for requests)"},
		{name: "the default syncs fit the default pool with the scheduler counted", env: map[string]string{"PFN_DB_MAX_CONNS": "29"},
			want: LimitsConfig{DBMaxConns: 29, MaxSyncs: defaultMaxSyncs, JobTimeout: defaultLimits.JobTimeout, PeerInfoTimeout: defaultLimits.PeerInfoTimeout}},
		{name: "one fewer", env: map[string]string{"PFN_DB_MAX_CONNS": "28"}, wantErr: "want at least 29"},
		{name: "pgx's default pool with the default syncs", env: map[string]string{"PFN_DB_MAX_CONNS": "4"},
			wantErr: "PFN_DB_MAX_CONNS 4 is too small"},
		{name: "bad conns", env: map[string]string{"PFN_DB_MAX_CONNS": "many"}, wantErr: `PFN_DB_MAX_CONNS "many"`},
		{name: "zero syncs", env: map[string]string{"PFN_MAX_CONCURRENT_SYNCS": "0"}, wantErr: `PFN_MAX_CONCURRENT_SYNCS "0"`},
		{name: "bad timeout", env: map[string]string{"PFN_JOB_TIMEOUT": "0s"}, wantErr: `PFN_JOB_TIMEOUT "0s"`},
	}
	runConfigCases(t, tests, func(c Config) LimitsConfig { return c.Limits }, func(t *testing.T, got Config) {
		if int(got.Limits.DBMaxConns) < got.Limits.minConns() {
			t.Fatalf("accepted a pool of %d, below its own minimum %d", got.Limits.DBMaxConns, got.Limits.minConns())
		}
	})
}
