package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// publisherRequests is how many requests the publisher has served, its
// test hooks' aside.
func publisherRequests(t *testing.T, s opsSetup) int64 {
	t.Helper()
	var stats struct {
		Requests int64 `json:"requests"`
	}
	if err := json.Unmarshal(publisherAdmin(t, s.pub, http.MethodGet, "/_admin/stats"), &stats); err != nil {
		t.Fatal(err)
	}
	return stats.Requests
}

// suspendedWatch is how long the publisher of a suspended source is
// watched for requests.
const suspendedWatch = time.Minute

// A suspended source's publisher hears nothing from the node, on 1-second
// schedules of every job; subscribing is refused naming the suspension,
// its plugins stay listed; a resume brings the health checks back.
func TestSuspendedSourceGetsNoRequests(t *testing.T) {
	t.Parallel()
	s := startOps(t, 2, "PFN_HEALTH_INTERVAL=1s", "PFN_SYNC_INTERVAL=1s", "PFN_REVERIFY_INTERVAL=1s",
		"PFN_RECHECK_INTERVAL=1s", "PFN_RETRY_BASE=1s")
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	const reason = "abuse report 42"
	code, body := s.api.do(http.MethodPost, "/federation/suspend-source", s.admin, map[string]any{"sourceId": s.source, "reason": reason})
	src, _ := body["source"].(map[string]any)
	if code != http.StatusOK || src["status"] != "suspended" {
		t.Fatalf("suspend-source = %d %v", code, body)
	}
	if sp, _ := src["suspension"].(map[string]any); sp["reason"] != reason || sp["quarantine"] != false {
		t.Fatalf("suspension shown as %v", src["suspension"])
	}
	// A job that had started before the suspension may still finish.
	time.Sleep(2 * time.Second)
	before := publisherRequests(t, s)
	// The minute of 1-second schedules: sixty rounds of every job
	// and its retries. The test runs in parallel with the others, so the
	// suite pays for it only in a parallel slot.
	time.Sleep(suspendedWatch)
	if after := publisherRequests(t, s); after != before {
		t.Fatalf("the publisher of a suspended source got %d requests in %s", after-before, suspendedWatch)
	}

	code, body = s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	if msg := fmt.Sprint(body["error"]); code != http.StatusConflict || !strings.Contains(msg, "suspended") || !strings.Contains(msg, reason) {
		t.Fatalf("subscribe to a suspended source = %d %v", code, body)
	}
	code, body = s.api.do(http.MethodGet, "/federation/plugins", s.admin, nil)
	plugins, _ := body["plugins"].([]any)
	if code != http.StatusOK || len(plugins) == 0 {
		t.Fatalf("plugins of a suspended source not listed: %d %v", code, body)
	}
	for _, p := range plugins {
		if st := p.(map[string]any)["source_status"]; st != "suspended" {
			t.Fatalf("a catalogue entry shows source_status %v: %v", st, p)
		}
	}
	if st := s.status(t); st["status"] != "suspended" || st["status_reason"] != reason {
		t.Fatalf("source-status: %v", st)
	}

	code, body = s.api.do(http.MethodPost, "/federation/resume-source", s.admin, map[string]any{"sourceId": s.source})
	if src, _ := body["source"].(map[string]any); code != http.StatusOK || src["status"] != "verified" || src["suspension"] != nil {
		t.Fatalf("resume-source = %d %v", code, body)
	}
	resumed := publisherRequests(t, s)
	waitFor(t, "a request after the resume", 15*time.Second, func() (bool, string) {
		n := publisherRequests(t, s)
		return n > resumed, fmt.Sprint(n)
	})
}
