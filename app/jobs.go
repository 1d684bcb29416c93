package app

import (
	"context"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// JobKind is a kind of scheduled work.
type JobKind string

const (
	JobHealth   JobKind = "health"
	JobSync     JobKind = "sync"
	JobReverify JobKind = "reverify"
	JobRecheck  JobKind = "recheck" // re-download mirrored files to catch changed bytes
)

// Job is one claimed piece of scheduled work.
type Job struct {
	Kind     JobKind
	Source   domain.SourceID
	Attempts int // failed runs since the last success
}

// JobQueue is the scheduler's shared bookkeeping. Claims are exclusive
// across processes and hold for a lease; a lease that is not extended
// expires, and the job can be claimed again.
type JobQueue interface {
	// Plan adds the jobs eligible sources need and drops those of sources
	// no longer eligible; a new job is first due after first[kind].
	Plan(ctx context.Context, first map[JobKind]time.Duration) error
	// Claim leases up to limit due jobs of the given kinds, most overdue
	// first.
	Claim(ctx context.Context, owner string, lease time.Duration, limit int, kinds []JobKind) ([]Job, error)
	// Extend renews a lease; domain.ErrConflict when owner no longer holds it.
	Extend(ctx context.Context, j Job, owner string, lease time.Duration) error
	// Finish records a run and when the job is next due, and frees it.
	Finish(ctx context.Context, j Job, owner string, next time.Duration, attempts int, lastError string) error
	// Release frees a job without recording a run (shutdown).
	Release(ctx context.Context, j Job, owner string) error
	// ReleaseAllBut frees every lease owner holds but those of running. A
	// claim whose answer was lost (the connection broke after the database
	// committed it) leaves a lease that no one runs; without this, its job
	// would wait for the lease to run out.
	ReleaseAllBut(ctx context.Context, owner string, running []Job) error
}

// Metrics receives what the node's work measured. Implementations must be
// safe for concurrent use; NoMetrics ignores everything.
type Metrics interface {
	HealthChecked(source domain.SourceID, up bool, took time.Duration)
	SyncFinished(source domain.SourceID, err error, files int, bytes int64)
}

// NoMetrics is the Metrics of tests and tools.
type NoMetrics struct{}

func (NoMetrics) HealthChecked(domain.SourceID, bool, time.Duration) {}
func (NoMetrics) SyncFinished(domain.SourceID, error, int, int64)    {}
