package blob_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/internal/testservers"
)

func TestProbe(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // every request stays on loopback
	ctx := context.Background()
	srv := testservers.StartVersityGW(t)
	good := newBucketStore(t, srv, "probe-good")
	open := func(t *testing.T, c blob.S3Config) blob.Store {
		c.Endpoint = srv.Endpoint
		s, err := blob.NewS3Store(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name  string
		store blob.Store
		want  string // in the error; empty: no error
	}{
		{"a usable bucket", good, ""},
		{"a usable directory", mustFileStore(t), ""},
		{"a missing bucket", open(t, blob.S3Config{Bucket: "no-such-bucket", AccessKey: srv.Access, SecretKey: srv.Secret}), "NoSuchBucket"},
		{"wrong credentials", open(t, blob.S3Config{Bucket: "probe-good", AccessKey: "someone", SecretKey: "else-entirely-0123"}), "write a probe object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := blob.Probe(ctx, tc.store)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Probe = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := good.Stat(ctx, ".pfn-probe/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("stat of a probe object: %v", err)
	}
}

func mustFileStore(t *testing.T) blob.Store {
	s, err := blob.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The checker remembers a verdict for its TTL, then probes again: a store
// that went away is reported within a TTL, and so is its return.
func TestCheckerFollowsTheStore(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	srv := testservers.StartVersityGW(t)
	c := &blob.Checker{Store: newBucketStore(t, srv, "checked"), Timeout: time.Second, TTL: 300 * time.Millisecond}
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready with the server up: %v", err)
	}
	srv.Stop(t)
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready within the TTL of a good probe = %v, want the remembered verdict", err)
	}
	time.Sleep(400 * time.Millisecond)
	if err := c.Ready(ctx); !errors.Is(err, blob.ErrUnavailable) {
		t.Fatalf("Ready with the server stopped = %v, want ErrUnavailable", err)
	}
	srv.Start(t)
	time.Sleep(400 * time.Millisecond)
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready with the server back: %v", err)
	}
}

// Without credentials the S3 store does not ask the EC2 instance metadata
// endpoint unless told to: a node off EC2 would otherwise send requests
// there. The endpoint here is a loopback server that counts what it is
// asked (nothing leaves the machine either way).
func TestS3StoreAsksEC2MetadataOnlyWhenTold(t *testing.T) {
	srv := testservers.StartVersityGW(t)
	srv.CreateBucket(t, "no-credentials")
	var asked atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "no role here", http.StatusNotFound)
	}))
	defer imds.Close()
	for k, v := range map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_EC2_METADATA_DISABLED": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "HOME": t.TempDir(),
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": ""} {
		t.Setenv(k, v)
	}
	for _, tc := range []struct {
		ec2Metadata bool
		wantAsked   bool
	}{{false, false}, {true, true}} {
		asked.Store(0)
		s, err := blob.NewS3Store(context.Background(), blob.S3Config{Bucket: "no-credentials", Endpoint: srv.Endpoint, EC2Metadata: tc.ec2Metadata})
		if err != nil {
			t.Fatal(err)
		}
		if err := blob.Probe(context.Background(), s); err == nil {
			t.Fatal("a probe without credentials succeeded")
		}
		if got := asked.Load() > 0; got != tc.wantAsked {
			t.Errorf("EC2Metadata %v: the metadata endpoint was asked %d times", tc.ec2Metadata, asked.Load())
		}
	}
}
