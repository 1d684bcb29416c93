package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Rechecks of publishers that trickle their files hold their sync slots
// for a whole minimum-rate window; health checks of every source go on
// meanwhile, in the scheduler's other lane, instead of queueing behind
// them.
func TestSlowDownloadsDoNotHoldUpHealthChecks(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 5, 2, true, "PFN_HEALTH_INTERVAL=1s", "PFN_RECHECK_INTERVAL=1s", "PFN_SYNC_INTERVAL=1s",
		"PFN_REVERIFY_INTERVAL=1h", "PFN_MIN_DOWNLOAD_RATE_WINDOW=20s")
	for _, p := range s.pubs[:4] {
		publisherAdmin(t, p, http.MethodPost, "/_admin/trickle?bps=64")
	}
	reads := watchReads(t, s.base, s.admin)
	defer reads.finish()
	// Let the rechecks of the four trickling sources take every sync slot.
	time.Sleep(3 * time.Second)
	since := time.Now()
	waitFor(t, "every source's health checked while the rechecks hang", 8*time.Second, func() (bool, string) {
		runs := jobRuns(t, s.db, "health")
		for _, id := range s.sources {
			if at := runs[id]; !at.After(since) {
				return false, fmt.Sprintf("%s last checked at %v", id, at)
			}
		}
		return true, ""
	})
	reads.check(t)
}
