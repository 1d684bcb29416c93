package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/internal/testservers"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// s3Env points a node at a bucket of srv with the given credentials, and
// keeps the AWS SDK on loopback: no EC2 metadata, no shared config files.
func s3Env(t *testing.T, srv *testservers.S3Server, bucket, access, secret string) []string {
	return []string{
		"PFN_BLOB_STORE=s3://" + bucket + "?endpoint=" + srv.Endpoint + "&region=us-east-1",
		"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "HOME=" + t.TempDir(),
	}
}

// unwritableDir is a directory no process of the test can write in: a
// read-only mode for an ordinary user; for root, whom modes do not stop, a
// read-only tmpfs mounted over it.
func unwritableDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o750) })
		return dir
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=64k", "pfn-test-ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a read-only tmpfs on %s: %v\n%s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// A blob store the node cannot write, read back and delete in stops pfn
// serve before it listens, with one line that names PFN_BLOB_STORE.
func TestUnusableBlobStoreStopsServeWithOneLine(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	srv := testservers.StartVersityGW(t)
	srv.CreateBucket(t, "real-bucket")
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"a read-only directory", []string{"PFN_BLOB_STORE=file://" + unwritableDir(t)}, "read-only file system"},
		{"a missing bucket", s3Env(t, srv, "no-such-bucket", srv.Access, srv.Secret), "NoSuchBucket"},
		{"no credentials at all", s3Env(t, srv, "real-bucket", "", ""), "credentials"},
		{"a wrong secret key", s3Env(t, srv, "real-bucket", srv.Access, "not-the-secret-0123456789"), "SignatureDoesNotMatch"},
	}
	if os.Geteuid() != 0 {
		tests[0].want = "permission denied"
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, pfn, "serve")
			cmd.Env = append(os.Environ(), append(tc.env, "PFN_DATABASE_URL="+databaseURL(t), "PFN_LISTEN="+freeAddr(t),
				"PFN_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "node.key"), "PFN_LOG_LEVEL=error")...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatal("pfn serve kept running on an unusable blob store")
			}
			if err == nil {
				t.Fatal("pfn serve exited 0")
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if strings.HasPrefix(l, "pfn: ") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "PFN_BLOB_STORE") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("want one line naming PFN_BLOB_STORE and %q; stderr:\n%s", tc.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "not-the-secret") {
				t.Fatalf("the secret key is in the output:\n%s", stderr.String())
			}
		})
	}
}

func readyStatus(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// /readyz follows the blob store: 503 a few seconds after it goes away,
// 200 again once it is back, without a restart.
func TestReadinessFollowsTheBlobStore(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	srv := testservers.StartVersityGW(t)
	srv.CreateBucket(t, "ready-bucket")
	env := append(s3Env(t, srv, "ready-bucket", srv.Access, srv.Secret), "PFN_DATABASE_URL="+databaseURL(t),
		"PFN_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "node.key"))
	_, base := startNodeWith(t, pfn, env...)
	srv.Stop(t)
	waitFor(t, "/readyz 503 with the blob store stopped", 20*time.Second, func() (bool, string) {
		code := readyStatus(t, base)
		return code == http.StatusServiceUnavailable, http.StatusText(code)
	})
	if code := statusOf(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d with the blob store stopped; the process is alive", code)
	}
	srv.Start(t)
	waitFor(t, "/readyz 200 with the blob store back", 20*time.Second, func() (bool, string) {
		code := readyStatus(t, base)
		return code == http.StatusOK, http.StatusText(code)
	})
}

func statusOf(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// timedClient answers every request within its timeout or fails the test:
// a node that hangs on a dead database shows as an error, not a stuck test.
var timedClient = &http.Client{Timeout: 20 * time.Second}

// requestStatus sends a request and returns its status; a transport error
// or a timeout fails the test.
func requestStatus(t *testing.T, method, u, key, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := timedClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// PostgreSQL stopping under a running node (a cluster of the test's own):
// the process stays alive, /readyz says 503, API calls answer with an error
// promptly, and once the database is back everything works again without a
// restart: reads, a write shown by the read models, the scheduler.
func TestNodeSurvivesPostgresStopping(t *testing.T) {
	t.Parallel()
	cluster := testservers.StartCluster(t)
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "1")
	pub2 := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub2.pem"), "-plugins", "1")
	const master = "master-key-for-the-postgres-stop-test-0123"
	env := []string{"PFN_DATABASE_URL=" + cluster.URL("pfn"), "PFN_MASTER_KEY=" + master,
		"PFN_HEALTH_INTERVAL=300ms", "PFN_SYNC_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h", "PFN_RETRY_BASE=1h"}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	metrics := freeAddr(t)
	node, base := startNodeWith(t, pfn, append(env, "PFN_METRICS_LISTEN="+metrics)...)
	s := register(t, apiClient{t, base}, pub, master)
	s.subscribe(t)

	cluster.Stop(t)
	waitFor(t, "/readyz 503 with the database stopped", 20*time.Second, func() (bool, string) {
		code := readyStatus(t, base)
		return code == http.StatusServiceUnavailable, http.StatusText(code)
	})
	if code := statusOf(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d; the process itself is fine", code)
	}
	sourcesURL := base + "/federation/sources"
	for _, call := range []struct{ method, url, body string }{
		{http.MethodGet, sourcesURL, ""},
		{http.MethodGet, base + "/federation/source-status?sourceId=" + s.source, ""},
		{http.MethodPost, base + "/federation/sync-source", `{"sourceId":"` + s.source + `"}`},
	} {
		if code := requestStatus(t, call.method, call.url, s.admin, call.body); code != http.StatusServiceUnavailable {
			t.Errorf("%s %s with the database stopped = %d, want 503 (try again later)", call.method, call.url, code)
		}
	}
	if node.ProcessState != nil {
		t.Fatal("the node exited when the database stopped")
	}

	cluster.Start(t)
	waitFor(t, "/readyz 200 with the database back", 30*time.Second, func() (bool, string) {
		code := readyStatus(t, base)
		return code == http.StatusOK, http.StatusText(code)
	})
	if n := s.api.sourceCount(s.admin); n != 1 {
		t.Fatalf("%d sources listed after recovery, want 1", n)
	}
	checks := healthChecksUp(t, metrics, s.source)
	// A write and its read model: the projection consumers resumed.
	code, body := s.api.do(http.MethodPost, "/federation/add-source", s.admin, map[string]string{
		"instance_url": pub2.URL, "username": "second-author", "public_key": pub2.PublicKey})
	if code != http.StatusCreated {
		t.Fatalf("add-source after recovery = %d %v", code, body)
	}
	if n := s.api.sourceCount(s.admin); n != 2 {
		t.Fatalf("%d sources listed after adding one, want 2", n)
	}
	if code, body := s.api.do(http.MethodPost, "/federation/sync-source", s.admin, map[string]string{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("sync after recovery = %d %v", code, body)
	}
	// The scheduler resumed: health checks are run and recorded again. The
	// counter is bumped once a check is saved; the source status's
	// health_checks moves only when a check changes what the source knows
	// (a summary), which steady checks of a steady publisher do not.
	waitFor(t, "a scheduled health check after recovery", 20*time.Second, func() (bool, string) {
		n := healthChecksUp(t, metrics, s.source)
		return n > checks, fmt.Sprint(n)
	})
}

// healthChecksUp is the node's count of recorded health checks that found
// source up, read from its metrics listener.
func healthChecksUp(t *testing.T, metricsAddr, source string) int {
	t.Helper()
	resp, err := timedClient.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	prefix := `pfn_health_checks_total{outcome="up",source="` + source + `"} `
	for line := range strings.Lines(string(body)) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}

// checkMirroredBlobs fails the test unless every mirrored row's file is in
// the bucket with the row's sha256 and size; it returns how many rows.
func checkMirroredBlobs(t *testing.T, dbURL string, store blob.Store) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT local_path, sha256, size FROM mirrored_plugins WHERE pruned_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		key, sha string
		size     int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.key, &x.sha, &x.size)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		body, _, err := store.Open(ctx, r.key)
		if err != nil {
			t.Fatalf("mirrored row points at %s, which is not stored: %v", r.key, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, body)
		body.Close()
		if err != nil || n != r.size || hex.EncodeToString(h.Sum(nil)) != r.sha {
			t.Fatalf("%s: %d bytes hashing %x (err %v); the row says %d bytes, %s", r.key, n, h.Sum(nil), err, r.size, r.sha)
		}
	}
	return len(list)
}

// plainEntries is a publisher catalogue of n plugins of size bytes each.
func plainEntries(n, size int) []map[string]any {
	var entries []map[string]any
	for i := range n {
		entries = append(entries, map[string]any{"slug": fmt.Sprintf("plain-%d", i), "name": fmt.Sprintf("Plain %d", i),
			"version": "1.0.0", "short_description": "plain", "tags": []string{"media"},
			"content_base64": base64.StdEncoding.EncodeToString([]byte(strings.Repeat(fmt.Sprint(i), size)))})
	}
	return entries
}

// The blob store going away while a sync downloads: the sync fails with a
// reason the source's status and the activity feed show, no mirrored row
// points at a file that was not stored, and once the store is back the
// next sync completes.
func TestSyncSurvivesTheBlobStoreStopping(t *testing.T) {
	t.Parallel()
	srv := testservers.StartVersityGW(t)
	const bucket = "midsync"
	srv.CreateBucket(t, bucket)
	dbURL := databaseURL(t)
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "1", "-admin")
	const master = "master-key-for-the-blob-stop-test-0123456"
	env := append(s3Env(t, srv, bucket, srv.Access, srv.Secret), "PFN_DATABASE_URL="+dbURL, "PFN_MASTER_KEY="+master,
		"PFN_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "node.key"), "PFN_SCHEDULER=false")
	_, base := startNodeWith(t, pfn, env...)
	s := register(t, apiClient{t, base}, pub, master)
	s.subscribe(t)

	const n = 8
	setCatalog(t, pub, plainEntries(n, 4096))
	publisherAdmin(t, pub, http.MethodPost, "/_admin/slow?ms=1500")
	syncBody := `{"sourceId":"` + s.source + `"}`
	answered := make(chan int, 1)
	go func() {
		answered <- requestStatus(t, http.MethodPost, base+"/federation/sync-source", s.admin, syncBody)
	}()
	// The store stops once the sync is downloading (a file request held
	// at the publisher), however long a loaded machine took to get there.
	waitFor(t, "a download in flight", 30*time.Second, func() (bool, string) {
		var stats struct {
			Held int64 `json:"held_downloads"`
		}
		_ = json.Unmarshal(publisherAdmin(t, pub, http.MethodGet, "/_admin/stats"), &stats)
		return stats.Held > 0, fmt.Sprint(stats.Held, " downloads held")
	})
	srv.Stop(t)
	s.expectStorageFailure(t, <-answered, "blob store failed")

	srv.Start(t)
	store, err := blob.NewS3Store(context.Background(), blob.S3Config{Bucket: bucket, Endpoint: srv.Endpoint, AccessKey: srv.Access, SecretKey: srv.Secret})
	if err != nil {
		t.Fatal(err)
	}
	publisherAdmin(t, pub, http.MethodPost, "/_admin/slow?ms=0")
	s.expectRecovery(t, dbURL, store, 1, n+1)
}

// expectStorageFailure checks what a sync that failed on the blob store
// left: its answer an error, the source's last sync error naming why, and
// the failure in the activity feed.
func (s opsSetup) expectStorageFailure(t *testing.T, code int, reason string) {
	t.Helper()
	if code == http.StatusOK {
		t.Errorf("sync with the blob store failing = %d, want a failure", code)
	}
	if got, _ := s.status(t)["last_sync_error"].(string); !strings.Contains(got, reason) {
		t.Errorf("last_sync_error %q, want one containing %q", got, reason)
	}
	waitFor(t, "the failed sync in the activity feed", 10*time.Second, func() (bool, string) {
		entries := s.activity(t, "&source="+s.source, 50)
		return slices.ContainsFunc(entries, func(e activityEntry) bool { return e.Kind == "storage_failed" }), fmt.Sprint(entries)
	})
}

// expectRecovery checks that no mirrored row points at a missing or wrong
// file (before rows of them), then that a sync with the store usable again
// completes with after rows, all stored.
func (s opsSetup) expectRecovery(t *testing.T, dbURL string, store blob.Store, before, after int) {
	t.Helper()
	if rows := checkMirroredBlobs(t, dbURL, store); rows != before {
		t.Errorf("%d mirrored rows after the failed sync, want %d", rows, before)
	}
	syncBody := `{"sourceId":"` + s.source + `"}`
	if code := requestStatus(t, http.MethodPost, s.api.base+"/federation/sync-source", s.admin, syncBody); code != http.StatusOK {
		t.Fatalf("sync with the blob store usable again = %d", code)
	}
	if rows := checkMirroredBlobs(t, dbURL, store); rows != after {
		t.Fatalf("%d mirrored rows after the sync with the store back, want %d", rows, after)
	}
	if reason := s.status(t)["last_sync_error"]; reason != "" {
		t.Fatalf("last_sync_error %q after a successful sync", reason)
	}
}

func (s opsSetup) subscribe(t *testing.T) {
	t.Helper()
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
}

// seedHealthChecks appends n health checks to a source's stream, a few
// hundred per transaction: a long log for a rebuild to replay.
func seedHealthChecks(t *testing.T, pool *pgxpool.Pool, source string, n int) {
	t.Helper()
	ctx := pgtest.Context()
	store := eventstore.New(pool)
	const per = 500
	for done := 0; done < n; done += per {
		batch := make([]eventstore.NewEvent, 0, per)
		for i := done; i < min(done+per, n); i++ {
			payload, _ := json.Marshal(domain.SourceHealthChecked{Up: i%7 != 0, ResponseMS: int64(20 + i%90),
				At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)})
			batch = append(batch, eventstore.NewEvent{Type: domain.EventSourceHealthChecked, Payload: payload})
		}
		if _, err := store.Append(ctx, "source-"+source, eventstore.ExpectAny, batch...); err != nil {
			t.Fatal(err)
		}
	}
}

// kill -9 in the middle of `pfn projections rebuild`: the live read models
// are untouched, and running the rebuild again completes (the half-filled
// copies and the rebuild lock of the dead process are no obstacle) with
// read models identical to those before.
func TestRebuildKilledMidwayCompletesWhenRunAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "3")
	const master = "master-key-for-the-rebuild-kill-test-0123"
	env := []string{"PFN_DATABASE_URL=" + databaseURL(t), "PFN_MASTER_KEY=" + master, "PFN_SCHEDULER=false", "PFN_LOG_LEVEL=warn"}
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	_, base := startNodeWith(t, pfn, env...)
	s := register(t, apiClient{t, base}, pub, master)
	s.subscribe(t)
	pool, err := pgxpool.New(ctx, strings.TrimPrefix(env[0], "PFN_DATABASE_URL="))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// Health checks cost the rebuild a few hundred microseconds each: a
	// replay of a few seconds.
	seedHealthChecks(t, pool, s.source, 5000)
	settled(t, pool)
	before := snapshotReadModels(t, pool, s.api, s.admin, []string{s.source})

	rebuild := exec.Command(pfn, "projections", "rebuild", "-all")
	rebuild.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	rebuild.Stderr = &stderr
	if err := rebuild.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- rebuild.Wait() }()
	// Mid-way: the fresh tables exist and the first batch is being applied.
	waitFor(t, "the rebuild creating its fresh tables", 30*time.Second, func() (bool, string) {
		var created bool
		err := pool.QueryRow(ctx, `SELECT to_regclass('pfn_rebuild.sources') IS NOT NULL`).Scan(&created)
		return err == nil && created, fmt.Sprint(err)
	})
	if err := rebuild.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || strings.Contains(stderr.String(), "rebuilt ") {
		t.Fatalf("the rebuild finished before the kill (%v); the test needs a longer log\n%s", err, stderr.String())
	}
	if d := before.diff(snapshotReadModels(t, pool, s.api, s.admin, []string{s.source})); len(d) > 0 {
		t.Fatalf("a killed rebuild changed the live read models:\n%s", strings.Join(d, "\n"))
	}

	again := exec.Command(pfn, "projections", "rebuild", "-all")
	again.Env = append(os.Environ(), env...)
	out, err := again.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rebuilt ") {
		t.Fatalf("rebuild after the kill: %v\n%s", err, out)
	}
	settled(t, pool)
	if d := before.diff(snapshotReadModels(t, pool, s.api, s.admin, []string{s.source})); len(d) > 0 {
		t.Fatalf("the read models after the second rebuild differ:\n%s", strings.Join(d, "\n"))
	}
	var leftover bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pfn_rebuild')`).Scan(&leftover); err != nil || leftover {
		t.Fatalf("the rebuild schema is left behind (%v)", err)
	}
}

// smallDisk is a blob directory that runs out of room, and a way to give it
// room again. As root: a tmpfs of 256 KiB (a real full disk, ENOSPC),
// resized with a remount. Otherwise the node runs under a file size limit
// of 32 KiB (EFBIG), through a wrapper script, lifted with prlimit: a write
// refused the same way, where mounting needs privileges.
func smallDisk(t *testing.T, pfn string) (dir, bin, want string, grow func(pid int)) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "blobs")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "pfn-test-full", dir).CombinedOutput(); err != nil {
			t.Fatalf("mount a small tmpfs on %s: %v\n%s", dir, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v\n%s", dir, err, out)
			}
		})
		return dir, pfn, "no space left on device", func(int) {
			if out, err := exec.Command("mount", "-o", "remount,size=16m", dir).CombinedOutput(); err != nil {
				t.Fatalf("grow the tmpfs: %v\n%s", err, out)
			}
		}
	}
	bin = filepath.Join(t.TempDir(), "pfn-limited")
	script := "#!/bin/bash\nulimit -S -f 32\nexec " + pfn + ` "$@"` + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, bin, "file too large", func(pid int) {
		if out, err := exec.Command("prlimit", "--pid", fmt.Sprint(pid), "--fsize=unlimited:").CombinedOutput(); err != nil {
			t.Fatalf("lift the file size limit: %v\n%s", err, out)
		}
	}
}

// The file store's disk filling up during a sync: the sync fails with the
// reason recorded, no row points at a file that is not there, and once the
// disk has room the next sync completes.
func TestSyncSurvivesAFullDisk(t *testing.T) {
	t.Parallel()
	dbURL := databaseURL(t)
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "1", "-admin")
	dir, bin, want, grow := smallDisk(t, pfn)
	const master = "master-key-for-the-full-disk-test-01234567"
	node, base := startNodeWith(t, bin, "PFN_DATABASE_URL="+dbURL, "PFN_MASTER_KEY="+master, "PFN_BLOB_STORE=file://"+dir,
		"PFN_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "node.key"), "PFN_SCHEDULER=false")
	s := register(t, apiClient{t, base}, pub, master)
	s.subscribe(t)

	const n = 8 // 64 KiB each: more than the disk holds
	setCatalog(t, pub, plainEntries(n, 64<<10))
	s.expectStorageFailure(t, requestStatus(t, http.MethodPost, base+"/federation/sync-source", s.admin,
		`{"sourceId":"`+s.source+`"}`), want)
	grow(node.Process.Pid)
	store, err := blob.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.expectRecovery(t, dbURL, store, 1, n+1)
}
