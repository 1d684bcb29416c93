package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// opsNode starts a publisher with n plugins and a node with the given
// operations settings, registers the publisher and returns what a test
// needs.
type opsSetup struct {
	api    apiClient
	pub    publisherProc
	admin  string
	source string
	blobs  string // the node's blob directory
	// metrics is the base URL of the node's metrics listener.
	metrics string
	db      string // the node's database URL (startOps)
}

func startOps(t *testing.T, plugins int, env ...string) opsSetup {
	t.Helper()
	blobs := filepath.Join(t.TempDir(), "blobs")
	s := startOpsOn(t, plugins, append(env, "PFN_BLOB_STORE=file://"+blobs)...)
	s.blobs = blobs
	return s
}

// startOpsOn is startOps with the blob store env names (PFN_BLOB_STORE
// and, for S3, its credentials).
func startOpsOn(t *testing.T, plugins int, env ...string) opsSetup {
	t.Helper()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	// An original (v1) publisher: its listing names no sha256 and signs no
	// bytes, so other bytes behind it leave the listing unchanged, which the
	// revalidation and recheck tests rely on.
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", strconv.Itoa(plugins), "-admin", "-v1-only")
	const master = "master-key-for-the-ops-test-0123456789"
	metricsAddr := freeAddr(t)
	db := databaseURL(t)
	_, base := startNodeWith(t, pfn, append(env, "PFN_DATABASE_URL="+db, "PFN_MASTER_KEY="+master, "PFN_METRICS_LISTEN="+metricsAddr,
		"PFN_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "node.key"))...)
	s := register(t, apiClient{t, base}, pub, master)
	s.metrics = "http://" + metricsAddr
	s.db = db
	return s
}

func register(t *testing.T, api apiClient, pub publisherProc, master string) opsSetup {
	t.Helper()
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin, _ := body["key"].(string)
	return addSource(t, api, pub, admin)
}

// addSource registers the publisher as a source with an admin key.
func addSource(t *testing.T, api apiClient, pub publisherProc, admin string) opsSetup {
	t.Helper()
	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", status, body)
	}
	return opsSetup{api: api, pub: pub, admin: admin, source: body["sourceId"].(string)}
}

func publisherAdmin(t *testing.T, pub publisherProc, method, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, pub.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, raw)
	}
	return raw
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s (last seen: %s)", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s opsSetup) status(t *testing.T) map[string]any {
	t.Helper()
	code, body := s.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(s.source), s.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("source-status = %d %v", code, body)
	}
	return body
}

func (s opsSetup) waitStatus(t *testing.T, want string) {
	t.Helper()
	waitFor(t, "source "+want, 30*time.Second, func() (bool, string) {
		st := s.status(t)
		return st["status"] == want, fmt.Sprint(st["status"], ": ", st["status_reason"])
	})
}

type activityEntry struct {
	ID, Kind, SourceID, Summary string
	Position                    int64
}

// activity reads the whole feed, limit entries a page, newest first.
func (s opsSetup) activity(t *testing.T, query string, limit int) []activityEntry {
	t.Helper()
	var all []activityEntry
	cursor := ""
	for range 10000 {
		path := fmt.Sprintf("/federation/activity?limit=%d&cursor=%s%s", limit, url.QueryEscape(cursor), query)
		code, body := s.api.do(http.MethodGet, path, s.admin, nil)
		if code != http.StatusOK {
			t.Fatalf("activity = %d %v", code, body)
		}
		raw, _ := json.Marshal(body["entries"])
		var page []activityEntry
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		if len(page) > limit {
			t.Fatalf("page of %d entries for limit %d", len(page), limit)
		}
		all = append(all, page...)
		next, _ := body["nextCursor"].(string)
		if next == "" {
			return all
		}
		cursor = next
	}
	t.Fatal("the activity feed never ended")
	return nil
}

func TestEndToEndFailurePolicyRecoveryAndActivity(t *testing.T) {
	t.Parallel()
	s := startOps(t, 3, "PFN_HEALTH_INTERVAL=300ms", "PFN_SYNC_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h", "PFN_RETRY_BASE=1h")
	// A first health check while the publisher is up.
	waitFor(t, "a health check", 20*time.Second, func() (bool, string) {
		st := s.status(t)
		return st["health_checks"] != 0.0, fmt.Sprint(st["health_checks"])
	})

	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/down")
	s.waitStatus(t, "error")
	if st := s.status(t); !strings.Contains(st["status_reason"].(string), "3 failures") {
		t.Fatalf("error reason %q", st["status_reason"])
	}
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/up")
	s.waitStatus(t, "verified")
	if st := s.status(t); st["status_reason"] != "recovered: health check succeeded" {
		t.Fatalf("recovery reason %q", st["status_reason"])
	}

	// The feed, oldest first, shows each step in order.
	var entries []activityEntry
	waitFor(t, "the recovery in the activity feed", 20*time.Second, func() (bool, string) {
		entries = s.activity(t, "&source="+url.QueryEscape(s.source), 5)
		return len(entries) > 0 && slices.ContainsFunc(entries, func(e activityEntry) bool { return e.Kind == "recovered" }), ""
	})
	slices.Reverse(entries)
	var steps []string
	for _, e := range entries {
		switch e.Kind {
		case "source_added", "verified", "health_failed", "error", "recovered":
			steps = append(steps, e.Kind)
		}
		if e.SourceID != s.source {
			t.Fatalf("entry of another source in a filtered feed: %+v", e)
		}
	}
	want := []string{"source_added", "verified", "health_failed", "health_failed", "health_failed", "error", "recovered"}
	if !slices.Equal(steps, want) {
		t.Fatalf("activity steps %v, want %v", steps, want)
	}
	var trustDrops int
	for _, e := range entries {
		if e.Kind == "trust_changed" && strings.Contains(e.Summary, "entered error") {
			trustDrops++
		}
	}
	if trustDrops != 1 {
		t.Fatalf("want one trust change for entering error, got %d in %+v", trustDrops, entries)
	}
}

func TestEndToEndMetricsAfterASync(t *testing.T) {
	t.Parallel()
	s := startOps(t, 4, "PFN_HEALTH_INTERVAL=200ms")
	code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
	res, _ := body["syncResult"].(map[string]any)
	if code != http.StatusOK || res["mirroredCount"] != 4.0 {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	waitFor(t, "a health check", 20*time.Second, func() (bool, string) {
		st := s.status(t)
		return st["health_checks"] != 0.0, fmt.Sprint(st["health_checks"])
	})
	// The public API port does not show key ids and sources: only the
	// metrics listener does.
	if code, body := s.api.do(http.MethodGet, "/metrics", "", nil); code != http.StatusNotFound {
		t.Fatalf("/metrics on the API port = %d %v, want 404", code, body)
	}
	resp, err := http.Get(s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	src := `source="` + s.source + `"`
	for _, want := range []string{
		`pfn_syncs_total{outcome="ok",` + src + `} 1`,
		`pfn_mirrored_files_total{` + src + `} 4`,
		`pfn_mirrored_bytes_total{` + src + `} `,
		`pfn_source_response_seconds_count{` + src + `} `,
		`pfn_health_checks_total{outcome="up",` + src + `} `,
		`pfn_api_key_requests_total{key_id="`,
		`pfn_http_requests_total{method="POST",route="/federation/subscribe",status="200"} 1`,
		`pfn_projection_lag_events{projection="mirrored_plugins"} `,
		`pfn_projection_lag_events{projection="activity"} `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Lag is live (health checks keep appending); it must be small.
	if m := regexp.MustCompile(`pfn_projection_lag_events\{projection="sources"\} (\d+)`).FindStringSubmatch(text); m == nil || len(m[1]) > 2 {
		t.Errorf("sources projection lag %v, want a small count", m)
	}
	if strings.Contains(text, "fadmin_") || strings.Contains(text, "fcons_") {
		t.Error("/metrics shows an API key")
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}

func TestActivityFeedPagesThroughAThousandEntries(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_SCHEDULER=false")
	// Every update-source records a publisher-info refresh; trust and
	// status do not move, so each call adds what the feed shows for it.
	// Verifications do: each one is a "verified" entry.
	before := len(s.activity(t, "", 500))
	for range 1000 - before {
		if code, body := s.api.do(http.MethodPost, "/federation/verify-source", s.admin, map[string]string{"sourceId": s.source}); code != http.StatusOK {
			t.Fatalf("verify-source = %d %v", code, body)
		}
	}
	// The feed is a projection like any other: it catches up on its own.
	// Paging is compared once it has (no entry may arrive in between).
	waitFor(t, "the activity feed to catch up", 20*time.Second, func() (bool, string) {
		resp, err := http.Get(s.metrics + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `pfn_projection_lag_events{projection="activity"} 0`+"\n"), "lagging"
	})
	all := s.activity(t, "", 500)
	if len(all) < 1000 {
		t.Fatalf("feed has %d entries, want at least 1000", len(all))
	}
	for _, limit := range []int{1, 7, 100} {
		paged := s.activity(t, "", limit)
		seen := map[string]bool{}
		for i, e := range paged {
			if seen[e.ID] {
				t.Fatalf("limit %d: entry %s repeated", limit, e.ID)
			}
			seen[e.ID] = true
			if i > 0 && paged[i-1].Position < e.Position && paged[i-1].ID != e.ID {
				// Newest first by commit order; positions may interleave only
				// across concurrent transactions, which this test has none of.
				t.Fatalf("limit %d: entry %d older than the next one", limit, i)
			}
		}
		if len(paged) != len(all) {
			t.Fatalf("limit %d: %d entries, want %d", limit, len(paged), len(all))
		}
	}
	if code, body := s.api.do(http.MethodGet, "/federation/activity?cursor=bogus", s.admin, nil); code != http.StatusBadRequest {
		t.Fatalf("bad cursor = %d %v", code, body)
	}
	if code, body := s.api.do(http.MethodGet, "/federation/activity?cursor=3000000000", s.admin, nil); code != http.StatusOK || len(body["entries"].([]any)) != 50 {
		t.Fatalf("a cursor past every entry = %d, %d entries", code, len(body["entries"].([]any)))
	}
	if code, body := s.api.do(http.MethodGet, "/federation/activity?limit=0", s.admin, nil); code != http.StatusBadRequest {
		t.Fatalf("limit 0 = %d %v", code, body)
	}
}

// Two nodes on one database: each scheduled sync runs once, and a node
// killed in the middle of one leaves it to the other once its lease ends.
func TestTwoNodesShareTheSchedule(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "3", "-admin")
	const master = "master-key-for-the-ops-test-0123456789"
	db := databaseURL(t)
	env := []string{"PFN_DATABASE_URL=" + db, "PFN_MASTER_KEY=" + master, "PFN_SYNC_INTERVAL=1s",
		"PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h", "PFN_RETRY_BASE=1s", "PFN_JOB_LEASE=3s"}
	for k, v := range dataEnv(t) { // one blob store and node key for both
		env = append(env, k+"="+v)
	}
	cmdA, baseA := startNodeWith(t, pfn, env...)
	cmdB, baseB := startNodeWith(t, pfn, env...)
	s := register(t, apiClient{t, baseA}, pub, master)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}

	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	t.Run("each scheduled sync runs once", func(t *testing.T) {
		requests := func() []int64 {
			var stats struct {
				AuthorData []int64 `json:"author_data_requests"`
			}
			_ = json.Unmarshal(publisherAdmin(t, pub, http.MethodGet, "/_admin/stats"), &stats)
			return stats.AuthorData
		}
		// The subscription's own sync, then the first scheduled one.
		waitFor(t, "the first scheduled sync", 20*time.Second, func() (bool, string) {
			n := len(requests())
			return n >= 2, fmt.Sprint(n)
		})
		start := time.Now()
		time.Sleep(6 * time.Second)
		var scheduled []int64
		for _, ms := range requests() {
			if ms >= start.UnixMilli() {
				scheduled = append(scheduled, ms)
			}
		}
		// One sync a second (plus the sync's own time and the scheduler's
		// tick) for six seconds: up to 7 runs, fewer on a loaded machine (3
		// seen under two CI runs at once). Both nodes running each would
		// make twice that, pairs of them at the same moment (the gap check).
		if len(scheduled) < 2 || len(scheduled) > 7 {
			t.Fatalf("%d /author-data requests in 6s with a 1s interval: %v", len(scheduled), scheduled)
		}
		for i := 1; i < len(scheduled); i++ {
			if gap := scheduled[i] - scheduled[i-1]; gap < 800 {
				t.Fatalf("two syncs %dms apart: the same job ran twice (%v)", gap, scheduled)
			}
		}
	})

	t.Run("a node killed mid-sync leaves the job to the other", func(t *testing.T) {
		// A new version whose download takes 6s: the sync that finds it is
		// still running when its node dies.
		publisherAdmin(t, pub, http.MethodPost, "/_admin/slow?ms=6000")
		setCatalog(t, pub, []map[string]any{{"slug": "plugin-1", "name": "Plugin 1", "version": "9.0.0",
			"short_description": "the new version", "tags": []string{"utilities"}}})
		// A sync without downloads holds its lease for milliseconds; the one
		// stuck in the 6s download holds it across two looks 1.5s apart.
		holder := func() string {
			var owner string
			_ = conn.QueryRow(context.Background(), `SELECT coalesce(leased_by, '') FROM jobs WHERE kind = 'sync'`).Scan(&owner)
			return owner
		}
		var owner string
		waitFor(t, "a sync holding the new version's download", 30*time.Second, func() (bool, string) {
			owner = holder()
			if owner == "" {
				return false, "no holder"
			}
			time.Sleep(1500 * time.Millisecond)
			return holder() == owner, owner
		})
		pidText := owner[strings.LastIndex(owner, "/")+1:]
		victim, survivor := cmdA, baseB
		if pidText == strconv.Itoa(cmdB.Process.Pid) {
			victim, survivor = cmdB, baseA
		} else if pidText != strconv.Itoa(cmdA.Process.Pid) {
			t.Fatalf("lease held by %q, neither node (%d, %d)", owner, cmdA.Process.Pid, cmdB.Process.Pid)
		}
		if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killedAt := time.Now()
		publisherAdmin(t, pub, http.MethodPost, "/_admin/slow?ms=0")
		other := apiClient{t, survivor}
		waitFor(t, "the other node mirroring 9.0.0", 30*time.Second, func() (bool, string) {
			code, body := other.do(http.MethodGet, "/federation/plugins?q=plugin-1", "", nil)
			for _, p := range body["plugins"].([]any) {
				if p.(map[string]any)["version"] == "9.0.0" {
					return true, ""
				}
			}
			return false, fmt.Sprint(code)
		})
		if since := time.Since(killedAt); since < 2*time.Second {
			t.Fatalf("the job was taken over %s after the kill, before its 3s lease could end", since)
		}
		var leased *string
		if err := conn.QueryRow(context.Background(), `SELECT leased_by FROM jobs WHERE kind = 'sync'`).Scan(&leased); err != nil {
			t.Fatal(err)
		}
		if leased != nil && *leased == owner {
			t.Fatalf("the dead node still holds the job")
		}
	})
}

// Scheduled re-verification: a publisher that is down only counts a
// failure; one whose answer no longer verifies against the registered key
// loses verified.
func TestEndToEndReverification(t *testing.T) {
	t.Parallel()
	s := startOps(t, 1, "PFN_REVERIFY_INTERVAL=500ms", "PFN_HEALTH_INTERVAL=1h", "PFN_SYNC_INTERVAL=1h")
	reverifyFailures := func() int {
		n := 0
		for _, e := range s.activity(t, "&source="+url.QueryEscape(s.source), 100) {
			if e.Kind == "reverify_failed" {
				n++
			}
		}
		return n
	}
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/down")
	waitFor(t, "a re-verification failure while the publisher is down", 20*time.Second, func() (bool, string) {
		n := reverifyFailures()
		return n >= 1, fmt.Sprint(n)
	})
	if st := s.status(t)["status"]; st != "verified" && st != "error" {
		t.Fatalf("a publisher that is down made the source %v", st)
	}
	publisherAdmin(t, s.pub, http.MethodPost, "/_admin/up")
	s.waitStatus(t, "verified")

	// The same address now answers challenges with another key.
	port := s.pub.URL[strings.LastIndex(s.pub.URL, ":")+1:]
	_ = s.pub.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the first publisher to stop", 10*time.Second, func() (bool, string) {
		_, err := http.Get(s.pub.URL + "/federation-info")
		return err != nil, "still answering"
	})
	dir := t.TempDir()
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	startPublisher(t, pubBin, "-listen", "127.0.0.1:"+port, "-key-file", filepath.Join(dir, "same.pem"),
		"-challenge-key-file", filepath.Join(dir, "other.pem"), "-plugins", "1")
	s.waitStatus(t, "failed")
	if reason := s.status(t)["status_reason"].(string); !strings.Contains(reason, "does not verify against the registered public key") {
		t.Fatalf("failed with reason %q", reason)
	}
}
