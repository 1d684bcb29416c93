package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The node must never hang itself. Each test below drives one of the ways
// a sync waiting for another's lock used to exhaust the connection pool
// (every request then stopped answering), and reads meanwhile: each read
// must answer within hangAfter. The pool is kept small so that exhaustion,
// were it possible, would come within seconds.

// hangAfter tells a hung node from a busy one: no read takes this long
// unless it waits for something that never comes.
const hangAfter = 5 * time.Second

// deadlockEnv is the smallest pool the node accepts for 2 syncs at once.
var deadlockEnv = []string{"PFN_DB_MAX_CONNS=23", "PFN_MAX_CONCURRENT_SYNCS=2"}

// stormNode is one node with several publishers registered as sources.
type stormNode struct {
	api     apiClient
	cmd     *exec.Cmd // the running node
	base    string
	admin   string
	master  string
	db      string
	env     []string
	pfn     string
	pubs    []publisherProc
	sources []string
}

const stormMaster = "master-key-for-the-deadlock-test-0123456789"

// startStorm starts n publishers with plugins each and a node with env,
// registers every publisher and subscribes the admin key to each when
// subscribe is set.
func startStorm(t *testing.T, n, plugins int, subscribe bool, env ...string) *stormNode {
	t.Helper()
	s := &stormNode{pfn: buildBinary(t, ".", "pfn"), master: stormMaster, db: databaseURL(t)}
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	s.env = append(append([]string{"PFN_DATABASE_URL=" + s.db, "PFN_MASTER_KEY=" + stormMaster, "PFN_LOG_LEVEL=warn"},
		deadlockEnv...), env...)
	for k, v := range dataEnv(t) {
		s.env = append(s.env, k+"="+v)
	}
	s.start(t)
	for i := range n {
		pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), fmt.Sprintf("pub%d.pem", i)),
			"-plugins", strconv.Itoa(plugins), "-admin")
		var reg opsSetup
		if s.admin == "" {
			reg = register(t, s.api, pub, stormMaster)
			s.admin = reg.admin
		} else {
			reg = addSource(t, s.api, pub, s.admin)
		}
		s.pubs = append(s.pubs, pub)
		s.sources = append(s.sources, reg.source)
	}
	if subscribe {
		for _, id := range s.sources {
			if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": id}); code != http.StatusOK {
				t.Fatalf("subscribe to %s = %d %v", id, code, body)
			}
		}
	}
	return s
}

// start runs the node and waits (at most hangAfter*3) until it is ready.
func (s *stormNode) start(t *testing.T) {
	t.Helper()
	cmd, base := startNodeWithin(t, s.pfn, 3*hangAfter, s.env...)
	s.cmd, s.base, s.api = cmd, base, apiClient{t, base}
}

// stop ends the node with SIGTERM and waits for it.
func (s *stormNode) stop(t *testing.T) {
	t.Helper()
	proc := s.cmd
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _, _ = proc.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * hangAfter):
		_ = proc.Process.Kill()
		t.Fatal("the node did not stop on SIGTERM: something in it hangs")
	}
}

func (s *stormNode) slow(t *testing.T, ms int) {
	t.Helper()
	for _, p := range s.pubs {
		publisherAdmin(t, p, http.MethodPost, "/_admin/slow?ms="+strconv.Itoa(ms))
	}
}

// readWatch reads the public and admin read endpoints over and over; a
// read that does not answer 200 within hangAfter is a failure.
type readWatch struct {
	mu     sync.Mutex
	err    error
	reads  int
	failed chan struct{}
	quit   chan struct{}
	done   chan struct{}
}

func watchReads(t *testing.T, base, admin string) *readWatch {
	t.Helper()
	w := &readWatch{failed: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: hangAfter}
	paths := []string{"/federation/sources", "/federation/plugins", "/federation/activity", "/readyz"}
	read := func(path string) error {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: no answer after %s: %w", path, time.Since(start).Round(time.Millisecond), err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s = %d %s", path, resp.StatusCode, raw)
		}
		return nil
	}
	go func() {
		defer close(w.done)
		for {
			var wg sync.WaitGroup
			for _, p := range paths {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := read(p)
					w.mu.Lock()
					defer w.mu.Unlock()
					w.reads++
					if err != nil && w.err == nil {
						w.err = err
						close(w.failed)
					}
				}()
			}
			wg.Wait()
			select {
			case <-w.quit:
				return
			case <-w.failed:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { w.finish() })
	return w
}

func (w *readWatch) finish() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
}

// hold keeps reading for d, failing the test at the first hung read.
func (w *readWatch) hold(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-w.failed:
		w.check(t)
	case <-time.After(d):
	}
}

// check stops the reads and fails the test if one failed.
func (w *readWatch) check(t *testing.T) {
	t.Helper()
	w.finish()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatalf("reads stopped answering after %d good ones: %v", w.reads, w.err)
	}
	if w.reads == 0 {
		t.Fatal("no read was made")
	}
}

// jobRuns returns when each job of kind last ran, per source.
func jobRuns(t *testing.T, db, kind string) map[string]time.Time {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT source_id, coalesce(last_run_at, 'epoch') FROM jobs WHERE kind = $1`, kind)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kv struct {
		id string
		at time.Time
	}, err error) {
		err = r.Scan(&kv.id, &kv.at)
		return kv, err
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]time.Time{}
	for _, kv := range out {
		m[kv.id] = kv.at
	}
	return m
}

// ranSince waits until every source's jobs of these kinds have run after
// since, with reads still answering. The bound is generous: a loaded
// machine runs the jobs late, a hung node never.
func (s *stormNode) ranSince(t *testing.T, reads *readWatch, since time.Time, kinds ...string) {
	t.Helper()
	for _, kind := range kinds {
		waitFor(t, "every "+kind+" job running", 30*time.Second, func() (bool, string) {
			select {
			case <-reads.failed:
				reads.check(t)
			default:
			}
			runs := jobRuns(t, s.db, kind)
			for _, id := range s.sources {
				if at, ok := runs[id]; !ok || !at.After(since) {
					return false, fmt.Sprintf("%s last ran at %v", id, at)
				}
			}
			return true, ""
		})
	}
	reads.check(t)
}

// Four sources whose files are slow, eight consumers subscribing and an
// admin pressing sync on each source, all at once: every subscription is
// recorded and answered, every sync-source answers, reads keep answering,
// and the syncs that could not start at once happen on the schedule.
func TestDeadlockSlowFilesConcurrentSubscribesAndSyncs(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 4, 3, false)
	s.slow(t, 1500)
	var consumers []string
	for range 8 {
		code, body := s.api.do(http.MethodPost, "/federation/create-admin-key", s.admin, map[string]string{"role": "consumer"})
		key, _ := body["key"].(string)
		if code != http.StatusCreated || key == "" {
			t.Fatalf("create consumer key = %d %v", code, body)
		}
		consumers = append(consumers, key)
	}
	reads := watchReads(t, s.base, s.admin)

	type answer struct {
		what string
		code int
		body map[string]any
		err  error
	}
	answers := make(chan answer, 12)
	client := &http.Client{Timeout: 2 * time.Minute}
	post := func(what, path, key, body string) {
		req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			answers <- answer{what: what, err: err}
			return
		}
		defer resp.Body.Close()
		out := map[string]any{}
		err = json.NewDecoder(resp.Body).Decode(&out)
		answers <- answer{what, resp.StatusCode, out, err}
	}
	for i, key := range consumers {
		go post("subscribe "+strconv.Itoa(i), "/federation/subscribe", key, `{"sourceId":"`+s.sources[i%4]+`"}`)
	}
	for i, id := range s.sources {
		go post("sync-source "+strconv.Itoa(i), "/federation/sync-source", s.admin, `{"sourceId":"`+id+`"}`)
	}
	scheduled := 0
	for range 12 {
		var a answer
		select {
		case a = <-answers:
		case <-reads.failed:
			reads.check(t)
		}
		if a.err != nil {
			t.Fatalf("%s: %v", a.what, a.err)
		}
		if a.code != http.StatusOK {
			t.Fatalf("%s = %d %v", a.what, a.code, a.body)
		}
		res, _ := a.body["syncResult"].(map[string]any)
		_, hasCount := res["mirroredCount"].(float64)
		_, hasTotal := res["totalPlugins"].(float64)
		if !hasCount || !hasTotal {
			t.Fatalf("%s answered without the sync result's counts: %v", a.what, a.body)
		}
		if strings.HasPrefix(a.what, "subscribe") {
			if _, ok := res["success"].(bool); a.body["success"] != true || !ok || a.body["message"] == "" || a.body["source"] == nil {
				t.Fatalf("%s: success, message, source or syncResult.success missing: %v", a.what, a.body)
			}
			if res["scheduled"] == true {
				scheduled++
			}
		}
	}
	t.Logf("%d of 8 first syncs were left to the schedule", scheduled)
	// Nothing accepted is lost: every subscription is there, and every
	// source is mirrored in the end (by the schedule where a first sync
	// could not start at once).
	code, body := s.api.do(http.MethodGet, "/federation/subscriptions", s.admin, nil)
	if subs, _ := body["subscriptions"].([]any); code != http.StatusOK || len(subs) != 8 {
		t.Fatalf("subscriptions = %d, %d of 8: %v", code, len(subs), body)
	}
	for _, id := range s.sources {
		waitFor(t, "all of "+id+" mirrored", 45*time.Second, func() (bool, string) {
			select {
			case <-reads.failed:
				reads.check(t)
			default:
			}
			_, body := s.api.do(http.MethodGet, "/federation/plugins?source="+url.QueryEscape(id), "", nil)
			list, _ := body["plugins"].([]any)
			return len(list) == 3, fmt.Sprint(len(list), " plugins")
		})
	}
	reads.check(t)
}

// A source's sync and recheck due together, over and over (1 s schedules),
// with slow files: the two wait for each other without holding the
// connections the other needs, and both keep running.
func TestDeadlockSyncAndRecheckDueTogether(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 2, 2, true, "PFN_SYNC_INTERVAL=1s", "PFN_RECHECK_INTERVAL=1s", "PFN_HEALTH_INTERVAL=1h",
		"PFN_REVERIFY_INTERVAL=1h", "PFN_RETRY_BASE=1s")
	s.slow(t, 1000)
	start := time.Now()
	reads := watchReads(t, s.base, s.admin)
	reads.hold(t, 8*time.Second)
	s.ranSince(t, reads, start, "sync", "recheck")
}

// A node restarted after downtime finds every job overdue (syncs and
// rechecks of the same sources first in line) and runs them while reads
// keep answering.
func TestDeadlockOverdueJobsAfterRestart(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 3, 2, true)
	s.stop(t)
	conn, err := pgx.Connect(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Every kind of job for every source, overdue; syncs and rechecks the
	// most, so they are claimed together.
	if _, err := conn.Exec(context.Background(), `
		INSERT INTO jobs (kind, source_id, due_at)
		SELECT k.kind, s.id, now() - CASE WHEN k.kind IN ('sync', 'recheck') THEN interval '2 hours' ELSE interval '1 hour' END
		FROM sources s CROSS JOIN (VALUES ('health'), ('sync'), ('reverify'), ('recheck')) AS k(kind)
		ON CONFLICT (kind, source_id) DO UPDATE SET due_at = excluded.due_at, leased_by = NULL, lease_until = NULL`); err != nil {
		t.Fatal(err)
	}
	s.slow(t, 1000)
	restart := time.Now()
	s.start(t)
	reads := watchReads(t, s.base, s.admin)
	reads.hold(t, 6*time.Second)
	s.ranSince(t, reads, restart, "sync", "recheck")
}

// Four ordinary, fast sources with 1-second sync, health and recheck
// schedules: ten seconds of reads all answer, and the jobs keep running.
func TestDeadlockFastSourcesOnOneSecondSchedules(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 4, 2, true, "PFN_SYNC_INTERVAL=1s", "PFN_HEALTH_INTERVAL=1s", "PFN_RECHECK_INTERVAL=1s",
		"PFN_REVERIFY_INTERVAL=1h", "PFN_RETRY_BASE=1s")
	start := time.Now()
	reads := watchReads(t, s.base, s.admin)
	reads.hold(t, 10*time.Second)
	s.ranSince(t, reads, start, "sync", "health", "recheck")
}

// Every job has a deadline: a recheck whose download never ends in time
// is cut off at PFN_JOB_TIMEOUT and recorded as failed, saying so.
func TestJobsEndAtTheirDeadline(t *testing.T) {
	t.Parallel()
	s := startStorm(t, 1, 1, true, "PFN_JOB_TIMEOUT=3s", "PFN_RECHECK_INTERVAL=1s", "PFN_SYNC_INTERVAL=1h",
		"PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h")
	s.slow(t, 6000)
	conn, err := pgx.Connect(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	waitFor(t, "the recheck cut off at its deadline", 30*time.Second, func() (bool, string) {
		var lastError string
		_ = conn.QueryRow(context.Background(), `SELECT coalesce(last_error, '') FROM jobs WHERE kind = 'recheck'`).Scan(&lastError)
		return strings.Contains(lastError, "did not finish within 3s (PFN_JOB_TIMEOUT)"), lastError
	})
}
