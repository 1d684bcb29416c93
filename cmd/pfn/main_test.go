package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/migrations"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// databaseURL points at a database that does not exist yet on the test
// server, and drops it when the test ends.
func databaseURL(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("pfn_cmdtest_%d", time.Now().UnixNano())
	u, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	admin := u.String()
	u.Path = "/" + name
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	return u.String()
}

func TestServeCreatesTheDatabaseServesAndShutsDownOnSignal(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	env := map[string]string{"PFN_DATABASE_URL": databaseURL(t), "PFN_LISTEN": addr, "PFN_LOG_LEVEL": "warn"}
	for k, v := range dataEnv(t) {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 200 (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel() // what SIGTERM does in main
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("the node still answers after shutting down")
	}
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFN_DATABASE_URL": databaseURL(t), "PFN_LOG_FORMAT": "text"}
	for i := range 2 {
		var logs strings.Builder
		if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, io.Discard, &logs); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
		all, err := migrations.All()
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("migrations_applied=%d", len(all))
		if i == 0 && !strings.Contains(logs.String(), want) {
			t.Fatalf("migrate run %d logged %q, want %s", i+1, logs.String(), want)
		}
		if i == 1 && logs.Len() != 0 { // nothing changed: nothing to say
			t.Fatalf("migrate run %d logged %q, want nothing", i+1, logs.String())
		}
	}
}

func TestUnreachableDatabaseIsOneClearLine(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFN_DATABASE_URL": "postgres://pfn:s3cret@127.0.0.1:1/pfn?sslmode=disable"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started without a database")
	}
	msg := err.Error()
	for _, want := range []string{"cannot reach PostgreSQL", "postgres://pfn:xxxxx@127.0.0.1:1/pfn", "connection refused", "PFN_DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
		t.Errorf("error %q shows the password or spans lines", msg)
	}
}

func TestUnknownCommand(t *testing.T) {
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("run = %v", err)
	}
}

func TestAdminCreateKeyBootstrapsWithoutAMasterKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFN_DATABASE_URL": databaseURL(t), "PFN_LOG_LEVEL": "warn"}
	for k, v := range dataEnv(t) {
		env[k] = v
	}
	var out strings.Builder
	err := run(context.Background(), []string{"admin", "create-key", "-role", "admin", "-description", "first"},
		func(k string) string { return env[k] }, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var key map[string]string
	if err := json.Unmarshal([]byte(out.String()), &key); err != nil {
		t.Fatalf("output %q is not JSON: %v", out.String(), err)
	}
	if !strings.HasPrefix(key["key"], "fadmin_") || key["role"] != "admin" || key["description"] != "first" || key["created"] == "" {
		t.Fatalf("created %v", key)
	}
	err = run(context.Background(), []string{"admin", "create-key", "-role", "root"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `role "root"`) {
		t.Fatalf("unknown role: %v", err)
	}
}

// dataEnv keeps a test node's blobs and key out of the source tree.
func dataEnv(t testing.TB) map[string]string {
	dir := t.TempDir()
	return map[string]string{"PFN_BLOB_STORE": "file://" + filepath.Join(dir, "blobs"), "PFN_NODE_KEY_FILE": filepath.Join(dir, "keys", "node.key")}
}
