package testservers

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versitygwModule is the S3-protocol server the S3 store is tested against:
// a real server process with a POSIX backend in a temporary directory.
const versitygwModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// S3Server is a versitygw process on loopback.
type S3Server struct {
	Endpoint, Access, Secret string

	bin, addr, dir string
	mu             sync.Mutex
	cmd            *exec.Cmd
	done           chan struct{}
	logs           *strings.Builder
}

// versitygwBinary finds versitygw on PATH or in GOBIN/GOPATH/bin, and
// installs it there with `go install` when it is missing (.ci/run installs it
// beforehand; a fresh developer machine gets it on the first run).
func versitygwBinary(t testing.TB) string {
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

func goEnv(t testing.TB, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// StartVersityGW starts versitygw on a free loopback port with its objects
// in a temporary directory; it stops when the test ends.
func StartVersityGW(t testing.TB) *S3Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &S3Server{Endpoint: "http://" + addr, Access: "pfntestaccess", Secret: "pfntestsecret0123456789",
		bin: versitygwBinary(t), addr: addr, dir: t.TempDir(), logs: &strings.Builder{}}
	s.Start(t)
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.logs.String())
		}
	})
	return s
}

// Start starts the server (again, on the same address and objects) and
// waits until it listens.
func (s *S3Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, "--access", s.Access, "--secret", s.Secret, "--port", s.addr, "posix", s.dir)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %v\n%s", s.addr, err, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, SIGKILL after 10 s); stopping a stopped
// server does nothing.
func (s *S3Server) Stop(t testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// CreateBucket creates a bucket with the server's own credentials.
func (s *S3Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// client talks to the server with its own credentials.
func (s *S3Server) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.Access, s.Secret, ""),
	})
}

// Keys lists the keys of a bucket's objects (the first thousand: tests
// store a few).
func (s *S3Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	out, err := s.client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("list bucket %s: %v", bucket, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}
