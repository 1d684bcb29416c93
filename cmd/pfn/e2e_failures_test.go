package main

import (
	"bytes"
	"context"
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
