package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// LimitsConfig bounds the node's concurrent work and its database pool
// (docs/adr/0005-sync-locks-and-pool.md).
type LimitsConfig struct {
	DBMaxConns int32         // PFN_DB_MAX_CONNS: connections in the pool
	MaxSyncs   int           // PFN_MAX_CONCURRENT_SYNCS: syncs and rechecks at once, API and scheduler together
	JobTimeout time.Duration // PFN_JOB_TIMEOUT: deadline of every job and of API-triggered syncs
}

// Connections the node holds besides its syncs, measured: each projection
// consumer holds one while it polls or applies a page (projectionCount in
// wire.go), and the scheduler's own bookkeeping (plan, claim, lease
// renewals, health checks) one more at a time.
const schedulerConns = 1

// minConns is the smallest pool that cannot run dry: every running sync
// holds its lock's connection and works on one more, the projections must
// keep moving (a sync waits for them to show what it wrote), and one is
// left for requests.
func (l LimitsConfig) minConns() int {
	return 2*l.MaxSyncs + projectionCount + schedulerConns + 1
}

const (
	defaultDBMaxConns = 25
	defaultMaxSyncs   = 4
)

// registerLimits adds the limits' flags (defaults from the environment);
// the returned function checks them once the flags are parsed.
func registerLimits(fs *flag.FlagSet, env func(name, def string) string, cfg *LimitsConfig) func() []error {
	var conns, syncs, timeout string
	fs.StringVar(&conns, "db-max-conns", env("PFN_DB_MAX_CONNS", strconv.Itoa(defaultDBMaxConns)),
		"PostgreSQL connections in the pool (PFN_DB_MAX_CONNS)")
	fs.StringVar(&syncs, "max-concurrent-syncs", env("PFN_MAX_CONCURRENT_SYNCS", strconv.Itoa(defaultMaxSyncs)),
		"syncs and rechecks running at once, API and scheduler together (PFN_MAX_CONCURRENT_SYNCS)")
	fs.StringVar(&timeout, "job-timeout", env("PFN_JOB_TIMEOUT", "5m"),
		"deadline of each scheduled job and of each sync an API call starts (PFN_JOB_TIMEOUT)")
	return func() []error {
		var errs []error
		if n, err := strconv.Atoi(syncs); err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("PFN_MAX_CONCURRENT_SYNCS %q: want a number from 1 to 1000", syncs))
		} else {
			cfg.MaxSyncs = n
		}
		if n, err := strconv.ParseInt(conns, 10, 32); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("PFN_DB_MAX_CONNS %q: want a positive number of connections", conns))
		} else if cfg.DBMaxConns = int32(n); cfg.MaxSyncs > 0 && int(n) < cfg.minConns() {
			errs = append(errs, fmt.Errorf("PFN_DB_MAX_CONNS %d is too small for PFN_MAX_CONCURRENT_SYNCS %d: want at least %d "+
				"(2 per sync, %d for the projections, %d for the scheduler, 1 for requests)",
				n, cfg.MaxSyncs, cfg.minConns(), projectionCount, schedulerConns))
		}
		if d, err := time.ParseDuration(timeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PFN_JOB_TIMEOUT %q: want a positive duration such as 5m", timeout))
		} else {
			cfg.JobTimeout = d
		}
		return errs
	}
}
