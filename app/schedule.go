package app

import "time"

// Schedule is how often the scheduler does what.
type Schedule struct {
	HealthInterval   time.Duration // PFN_HEALTH_INTERVAL
	SyncInterval     time.Duration // PFN_SYNC_INTERVAL
	ReverifyInterval time.Duration // PFN_REVERIFY_INTERVAL
	RecheckInterval  time.Duration // PFN_RECHECK_INTERVAL
	RetryBase        time.Duration // PFN_RETRY_BASE: first retry of a failed sync
	MaxRetries       int           // retries of a failed sync before it waits for the regular schedule
}

// next says when a job that just ran is due again and how many failed runs
// it now has behind it. A failed sync is retried after RetryBase, then
// twice as long each time, MaxRetries times; after that it falls back to
// the regular interval, and its failure stays on record (the source's last
// sync error, the job's last error) until a sync succeeds.
func (s Schedule) next(kind JobKind, failed bool, attempts int) (time.Duration, int) {
	if !failed {
		attempts = 0
	} else {
		attempts++
	}
	switch kind {
	case JobHealth:
		return s.HealthInterval, attempts
	case JobReverify:
		return s.ReverifyInterval, attempts
	case JobRecheck:
		return s.RecheckInterval, attempts
	}
	if failed && attempts <= s.MaxRetries {
		return s.RetryBase << (attempts - 1), attempts
	}
	return s.SyncInterval, attempts
}

// first is when a job is first due once its source becomes eligible:
// health at once; the first sync already ran when the first consumer
// subscribed, and the first proof when the source was verified.
func (s Schedule) first() map[JobKind]time.Duration {
	return map[JobKind]time.Duration{JobHealth: 0, JobSync: s.SyncInterval, JobReverify: s.ReverifyInterval,
		JobRecheck: s.RecheckInterval}
}
