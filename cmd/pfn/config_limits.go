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
	// PeerInfoTimeout (PFN_PEER_INFO_TIMEOUT) bounds the admin page's
	// look-up of another node (GET /federation/peer-info).
	PeerInfoTimeout time.Duration
}

// schedulerWorkers is how many health checks and re-verifications the
// scheduler runs at once; its syncs and rechecks run in a lane of their
// own, PFN_MAX_CONCURRENT_SYNCS wide. Four, not a setting: these jobs are
// one or two short requests to a publisher each, so a few at once keep up
// with the schedule, and every worker adds two connections to the pool's
// minimum (schedulerConns), which the README's sizing rule spells out.
const schedulerWorkers = 4

// Connections the scheduler may use at once, counted from the code
// (app.Scheduler): its loop plans and claims on one; each worker's job
// renews its lease on one of its own (a goroutine beside the job); and a
// health check or re-verification, which takes no sync slot, works on one
// more per worker (syncs and rechecks are counted with their slots, plus
// one each for their lease renewals, in minConns). So one plus two per
// worker.
const schedulerConns = 1 + 2*schedulerWorkers

// minConns is the pool at which no connection has to be waited for when
// every part of the node is as busy as it can be: every running sync holds
// its lock's connection and works on one more, each projection consumer
// holds one while it polls or applies a page (projectionCount in pool.go;
// a sync waits for them to show what it wrote), the scheduler its
// schedulerConns, and one is left for requests. Only the sync locks are
// held while waiting for something else; everything else holds a
// connection for one statement or transaction, so a smaller pool would
// queue, never deadlock, as long as it exceeds the slots.
func (l LimitsConfig) minConns() int {
	return 3*l.MaxSyncs + projectionCount + schedulerConns + 1
}

const (
	defaultDBMaxConns = 40
	defaultMaxSyncs   = 4
)

// registerLimits adds the limits' flags (defaults from the environment);
// the returned function checks them once the flags are parsed.
func registerLimits(fs *flag.FlagSet, env func(name, def string) string, cfg *LimitsConfig) func() []error {
	checkDurations := registerDurations(fs, env, []durationVar{
		{"job-timeout", "PFN_JOB_TIMEOUT", "5m", "deadline of each scheduled job and of each sync an API call starts", &cfg.JobTimeout},
		{"peer-info-timeout", "PFN_PEER_INFO_TIMEOUT", "10s", "deadline of the admin page's look-up of another node", &cfg.PeerInfoTimeout},
	})
	var conns, syncs string
	fs.StringVar(&conns, "db-max-conns", env("PFN_DB_MAX_CONNS", strconv.Itoa(defaultDBMaxConns)),
		"PostgreSQL connections in the pool (PFN_DB_MAX_CONNS)")
	fs.StringVar(&syncs, "max-concurrent-syncs", env("PFN_MAX_CONCURRENT_SYNCS", strconv.Itoa(defaultMaxSyncs)),
		"syncs and rechecks running at once, API and scheduler together (PFN_MAX_CONCURRENT_SYNCS)")
	return func() []error {
		errs := checkDurations()
		if n, err := strconv.Atoi(syncs); err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("PFN_MAX_CONCURRENT_SYNCS %q: want a number from 1 to 1000", syncs))
		} else {
			cfg.MaxSyncs = n
		}
		if n, err := strconv.ParseInt(conns, 10, 32); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("PFN_DB_MAX_CONNS %q: want a positive number of connections", conns))
		} else if cfg.DBMaxConns = int32(n); cfg.MaxSyncs > 0 && int(n) < cfg.minConns() {
			errs = append(errs, fmt.Errorf("PFN_DB_MAX_CONNS %d is too small for PFN_MAX_CONCURRENT_SYNCS %d: want at least %d "+
				"(3 per sync, %d for the projections, %d for the scheduler, 1 for requests)",
				n, cfg.MaxSyncs, cfg.minConns(), projectionCount, schedulerConns))
		}
		return errs
	}
}
