package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// OpsConfig is the scheduler's and readiness's part of Config.
type OpsConfig struct {
	Scheduler        bool          // PFN_SCHEDULER: run scheduled work in this process
	HealthInterval   time.Duration // PFN_HEALTH_INTERVAL
	SyncInterval     time.Duration // PFN_SYNC_INTERVAL
	ReverifyInterval time.Duration // PFN_REVERIFY_INTERVAL
	RecheckInterval  time.Duration // PFN_RECHECK_INTERVAL
	RemovalSweep     time.Duration // PFN_REMOVAL_SWEEP_INTERVAL: how often unfinished removals are finished
	RetryBase        time.Duration // PFN_RETRY_BASE
	JobLease         time.Duration // PFN_JOB_LEASE: how long a claimed job holds without renewal
	ReadyMaxLag      int64         // PFN_READY_MAX_LAG: /readyz fails past this projection lag (events)
	KeepVersions     int           // PFN_KEEP_VERSIONS: versions kept per plugin, 0 = all
	SourceQuota      int64         // PFN_SOURCE_QUOTA_BYTES: bytes kept per source, 0 = no limit
}

// registerOps adds the operations flags (defaults from the environment);
// the returned function checks them once the flags are parsed.
func registerOps(fs *flag.FlagSet, env func(name, def string) string, cfg *OpsConfig) func() []error {
	checkDurations := registerDurations(fs, env, []durationVar{
		{"health-interval", "PFN_HEALTH_INTERVAL", "5m", "time between health checks of a source", &cfg.HealthInterval},
		{"sync-interval", "PFN_SYNC_INTERVAL", "15m", "time between syncs of a subscribed source", &cfg.SyncInterval},
		{"reverify-interval", "PFN_REVERIFY_INTERVAL", "24h", "time between ownership re-verifications", &cfg.ReverifyInterval},
		{"recheck-interval", "PFN_RECHECK_INTERVAL", "24h", "time between re-downloads of mirrored files to catch changed bytes", &cfg.RecheckInterval},
		{"removal-sweep-interval", "PFN_REMOVAL_SWEEP_INTERVAL", "1m", "time between passes finishing removed sources' file deletions (each pass is bounded by it too)", &cfg.RemovalSweep},
		{"retry-base", "PFN_RETRY_BASE", "1h", fmt.Sprintf("first retry of a failed sync; doubles up to %d times", syncMaxRetries), &cfg.RetryBase},
		{"job-lease", "PFN_JOB_LEASE", "2m", "how long a claimed job holds before another node may take it", &cfg.JobLease},
	})
	checkBools := registerBools(fs, env, []boolVar{
		{"scheduler", "PFN_SCHEDULER", "true", "run health checks, syncs and re-verifications", &cfg.Scheduler},
	})
	var maxLag, keep, quota string
	fs.StringVar(&quota, "source-quota-bytes", env("PFN_SOURCE_QUOTA_BYTES", "0"), "bytes of files kept per source, 0 for no limit (PFN_SOURCE_QUOTA_BYTES)")
	fs.StringVar(&maxLag, "ready-max-lag", env("PFN_READY_MAX_LAG", "10000"), "readiness fails past this projection lag in events (PFN_READY_MAX_LAG)")
	fs.StringVar(&keep, "keep-versions", env("PFN_KEEP_VERSIONS", "0"), "versions kept per plugin, 0 keeps all (PFN_KEEP_VERSIONS)")
	return func() []error {
		errs := append(checkDurations(), checkBools()...)
		if n, err := strconv.ParseInt(maxLag, 10, 64); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("PFN_READY_MAX_LAG %q: want a number of events", maxLag))
		} else {
			cfg.ReadyMaxLag = n
		}
		if n, err := strconv.Atoi(keep); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("PFN_KEEP_VERSIONS %q: want 0 (keep all) or a positive number", keep))
		} else {
			cfg.KeepVersions = n
		}
		if n, err := strconv.ParseInt(quota, 10, 64); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("PFN_SOURCE_QUOTA_BYTES %q: want 0 (no limit) or a number of bytes", quota))
		} else {
			cfg.SourceQuota = n
		}
		return errs
	}
}
