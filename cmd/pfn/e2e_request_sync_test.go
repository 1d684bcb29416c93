package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A sync that an API call runs ends within the request's deadline: a
// publisher too slow for it gets the subscription recorded and the first
// sync left to the schedule (not a bare 503 with the work lost), and an
// admin's sync-source answers that the sync continues on the schedule.
func TestSyncsOfAPICallsEndWithinTheRequestDeadline(t *testing.T) {
	t.Parallel()
	// Three files of 4 s each, fetched in parallel, do not fit in the 2 s a
	// 5 s request leaves a sync (it keeps 3 s for the answer).
	s := startStorm(t, 1, 3, false, "PFN_REQUEST_TIMEOUT=5s", "PFN_SYNC_INTERVAL=1h", "PFN_RETRY_BASE=1s")
	s.slow(t, 4000)
	id := s.sources[0]

	start := time.Now()
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": id})
	took := time.Since(start)
	if code != http.StatusOK || body["success"] != true {
		t.Fatalf("subscribe = %d %v, want 200 with success (the subscription is recorded)", code, body)
	}
	res, _ := body["syncResult"].(map[string]any)
	if res["scheduled"] != true || res["success"] != false {
		t.Fatalf("syncResult = %v, want the first sync left to the schedule", res)
	}
	if took >= 5*time.Second {
		t.Fatalf("subscribe took %s, past the 5 s request deadline", took)
	}
	// Nothing was recorded against the publisher for the cut-short sync.
	_, act := s.api.do(http.MethodGet, "/federation/activity?source="+url.QueryEscape(id), s.admin, nil)
	if strings.Contains(fmt.Sprint(act), "plugin_rejected") {
		t.Fatalf("a cut-short sync refused plugins: %v", act)
	}

	code, body = s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]any{"sourceId": id})
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(body["error"]), "runs next on the schedule") {
		t.Fatalf("sync-source of a slow source = %d %v, want 503 saying the sync continues on the schedule", code, body)
	}

	// The schedule finishes what the requests could not.
	waitFor(t, "the slow source mirrored by the schedule", 40*time.Second, func() (bool, string) {
		_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(id), "", nil)
		list, _ := body["plugins"].([]any)
		return len(list) == 3, fmt.Sprint(len(list), " plugins")
	})
}
