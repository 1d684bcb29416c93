package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/internal/testservers"
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
	node, base := startNodeWith(t, pfn, env...)
	s := register(t, apiClient{t, base}, pub, master)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}

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
		if code := requestStatus(t, call.method, call.url, s.admin, call.body); code < 500 {
			t.Errorf("%s %s with the database stopped = %d, want a 5xx", call.method, call.url, code)
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
	checks := s.status(t)["health_checks"].(float64)
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
	// The scheduler resumed: health checks are counted again.
	waitFor(t, "a scheduled health check after recovery", 20*time.Second, func() (bool, string) {
		n := s.status(t)["health_checks"].(float64)
		return n > checks, fmt.Sprint(n)
	})
}
