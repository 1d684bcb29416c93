package blob_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pfn-network/pfn/adapters/blob"
)

// versitygwModule is the S3-protocol server the S3 store is tested against:
// a real server process with a POSIX backend in a temporary directory.
const versitygwModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

type s3Server struct {
	endpoint, access, secret string
}

// versitygwBinary finds versitygw on PATH or in GOBIN/GOPATH/bin, and
// installs it there with `go install` when it is missing (.ci/run installs it
// beforehand; a fresh developer machine gets it on the first run).
func versitygwBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gobin := goEnv(t, "GOBIN")
	if gobin == "" {
		gobin = filepath.Join(goEnv(t, "GOPATH"), "bin")
	}
	bin := filepath.Join(gobin, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("installing %s (once per machine; takes a few minutes)", versitygwModule)
	if out, err := exec.Command("go", "install", versitygwModule).CombinedOutput(); err != nil {
		t.Fatalf("go install %s: %v\n%s", versitygwModule, err, out)
	}
	return bin
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func startVersityGW(t *testing.T) s3Server {
	t.Helper()
	bin := versitygwBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := s3Server{endpoint: "http://" + addr, access: "pfntestaccess", secret: "pfntestsecret0123456789"}
	cmd := exec.Command(bin, "--access", srv.access, "--secret", srv.secret, "--port", addr, "posix", t.TempDir())
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("versitygw output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newBucketStore creates a bucket and returns a store on it.
func (s s3Server) newBucketStore(t *testing.T, bucket string) *blob.S3Store {
	t.Helper()
	ctx := context.Background()
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(s.endpoint), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.access, s.secret, ""),
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	store, err := blob.NewS3Store(ctx, blob.S3Config{Bucket: bucket, Endpoint: s.endpoint, AccessKey: s.access, SecretKey: s.secret})
	if err != nil {
		t.Fatal(err)
	}
	return store
}
