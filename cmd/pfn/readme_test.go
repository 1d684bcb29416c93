package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/migrations/pgtest"
)

// firstSessionBlock is the shell block that follows the first-session
// marker in README.md: what a newcomer pastes, and what make demo runs.
func firstSessionBlock(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(readme), "\n<!-- first-session")
	if !found {
		t.Fatal("README.md has no <!-- first-session --> marker")
	}
	_, after, found = strings.Cut(after, "\n```sh\n")
	block, _, closed := strings.Cut(after, "\n```\n")
	if !found || !closed {
		t.Fatal("the first-session marker is not followed by a ```sh block")
	}
	return block
}

// The README's first session, pasted whole into bash on this clone, works
// end to end: what it downloads has the sha256 that verify vouches for.
// It runs against its own database, ports and directory.
// Not parallel: it and the demo test both run make build into bin/.
func TestReadmeFirstSessionRunsPastedWhole(t *testing.T) {
	data := t.TempDir()
	port := func() string { _, p, _ := net.SplitHostPort(freeAddr(t)); return p }
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// -e: a newcomer would see a failing step scroll by; the test stops there.
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", firstSessionBlock(t))
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "DATA="+data, "PFN_PORT="+port(), "PUB_PORT="+port(),
		"PFN_DATABASE_URL="+databaseURL(t), "PFN_BLOB_STORE="+filepath.Join(data, "blobs"),
		"PFN_NODE_KEY_FILE="+filepath.Join(data, "node.key"), "PFN_METRICS_LISTEN=off")
	// The block leaves the node and the publisher running in bash's process
	// group; the test ends them all. Output goes to a file: the background
	// processes would hold a pipe open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(data, "session.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.Sleep(time.Second) // the node drains and exits; its database is dropped next
	})
	runErr := cmd.Wait()
	out.Close()
	text, _ := os.ReadFile(out.Name())
	if runErr != nil {
		node, _ := os.ReadFile(filepath.Join(data, "node.log"))
		t.Fatalf("the block failed: %v\n%s\nnode log:\n%s", runErr, text, node)
	}

	m := regexp.MustCompile(`(?m)^([0-9a-f]{64})  (\S+\.zip)$`).FindStringSubmatch(string(text))
	if m == nil {
		t.Fatalf("no sha256sum line in the output:\n%s", text)
	}
	file, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(file); hex.EncodeToString(sum[:]) != m[1] || len(file) == 0 {
		t.Fatalf("downloaded file's sha256 is %x, printed %s", sum, m[1])
	}
	var verify struct {
		Plugin struct {
			SHA256 string `json:"sha256"`
		} `json:"plugin"`
		Valid bool `json:"valid"`
	}
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, `{"plugin":`) {
			if err := json.Unmarshal([]byte(line), &verify); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !verify.Valid || verify.Plugin.SHA256 != m[1] {
		t.Fatalf("verify = %+v, want valid with sha256 %s\n%s", verify, m[1], text)
	}
	if !bytes.Contains(text, []byte("stop both with: kill ")) {
		t.Errorf("the session does not say how to stop it:\n%s", text)
	}
}

// make demo's script runs the same block on a database of its own, says
// where to look, and on Ctrl-C stops everything and removes its state.
func TestReadmeDemoRunsAndCleansUpOnInterrupt(t *testing.T) {
	db := fmt.Sprintf("pfn_demo_test_%d", time.Now().UnixNano())
	port := func() string { _, p, _ := net.SplitHostPort(freeAddr(t)); return p }
	cmd := exec.Command(filepath.Join("scripts", "demo"))
	cmd.Dir = filepath.Join("..", "..")
	// The demo's server is the one this test checks (PFN_TEST_DATABASE_URL).
	server, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	server.Path, server.RawQuery = "", ""
	cmd.Env = append(os.Environ(), "PFN_DEMO_DATABASE="+db, "PFN_DEMO_SERVER="+server.String(), "PFN_PORT="+port(), "PUB_PORT="+port())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(t.TempDir(), "demo.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	var text []byte
	for deadline := time.Now().Add(4 * time.Minute); !bytes.Contains(text, []byte("demo: running")); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo never said it was running:\n%s", text)
		}
		text, _ = os.ReadFile(out.Name())
	}
	for _, want := range []string{"admin page   http://127.0.0.1:", "admin key    fadmin_", "/federation/plugins"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("the demo does not print %q:\n%s", want, text)
		}
	}
	dir := regexp.MustCompile(`logs +(\S+)/node\.log`).FindSubmatch(text)
	if dir == nil {
		t.Fatalf("no logs line:\n%s", text)
	}

	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C reaches the whole group
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the demo did not stop on Ctrl-C")
	}
	text, _ = os.ReadFile(out.Name())
	if !bytes.Contains(text, []byte("demo: stopped")) {
		t.Errorf("the demo did not say it stopped:\n%s", text)
	}
	if _, err := os.Stat(string(dir[1])); !os.IsNotExist(err) {
		t.Errorf("the demo left %s: %v", dir[1], err)
	}
	conn, err := pgx.Connect(context.Background(), pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var left bool
	if err := conn.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", db).Scan(&left); err != nil || left {
		t.Errorf("database %s left behind: %v %v", db, left, err)
	}
}
